import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution

/// Why a sandbox can't be used as asked.
public enum SandboxError: Error, Equatable, CustomStringConvertible {
    /// A sandbox name that does not follow the name rule, and where it came from.
    case invalidName(String, source: String)
    /// VMs tagged with this sandbox that the state does not know, for apps the plan would deploy:
    /// deploying would make a second VM for each.
    case unrecordedVMs(sandbox: String, state: String, blueprintFile: String, vms: [UnrecordedVM])
    /// A fixed VLAN id that another live sandbox on the same provider holds.
    case vlanTaken(network: String, vlan: Int, provider: String, sandbox: String)
    /// An `auto` VLAN for which the provider's range has no id left that no sandbox holds.
    case vlanRangeFull(network: String, provider: String)
    /// FIRM_TEST_NOW that is not a time.
    case invalidClock(String)
    /// A `state` link, where the sandboxes' home would be, that points at nothing.
    case danglingStateLink(String, target: String)
    /// A time to live that would end after 9999-12-31T23:59:59Z, which no state can record.
    case expiryOutOfRange(now: String, ttl: String)
    /// A state that records no sandbox (written before sandboxes were recorded, or never applied).
    case noRecord(state: String)
    /// A command that reads a state found none where it looked: never read as an empty state.
    case noState(location: String, sandbox: String)
    /// An import that can't be done.
    case importRefused(String)

    public struct UnrecordedVM: Sendable, Equatable {
        public var provider: String
        public var app: String
        public var vmName: String
        public var vmUuid: String

        public init(provider: String, app: String, vmName: String, vmUuid: String) {
            self.provider = provider
            self.app = app
            self.vmName = vmName
            self.vmUuid = vmUuid
        }
    }

    public var description: String {
        switch self {
        case .invalidName(let name, let source):
            return "\(source): \(quoted(name)) is not a valid sandbox name; expected \(Name.rule)"
        case .unrecordedVMs(let sandbox, let state, let file, let vms):
            let list = vms.prefix(20).map { "  app.\($0.app): VM \($0.vmName) (\($0.vmUuid)) on provider \($0.provider)" }.joined(separator: "\n")
            return """
                the providers already have \(vms.count) VM\(vms.count == 1 ? "" : "s") tagged with sandbox \(quoted(sandbox)) that the state \(state) does not record, \
                for apps this plan would deploy; deploying them again would make duplicates, so nothing was changed:
                \(list)\(vms.count > 20 ? "\n  …" : "")
                Ways out:
                  - adopt them into this state: firm import \(file) --all --sandbox \(sandbox)
                  - or point at the state that records them: --state PATH
                  - or, if they are leftovers, delete them in the cloud, then plan again
                """
        case .vlanTaken(let network, let vlan, let provider, let other):
            return "network.\(network): VLAN \(vlan) on provider \(provider) is held by the live sandbox \(quoted(other)); "
                + "use \"vlan\": \"auto\", another id, or destroy that sandbox first (`firm destroy --sandbox \(other)`); nothing was changed"
        case .vlanRangeFull(let network, let provider):
            return "network.\(network): provider \(provider)'s VLAN range has no id left that another sandbox does not hold; "
                + "widen its vlanRange, or destroy a sandbox (`firm sandboxes` lists them); nothing was changed"
        case .invalidClock(let text):
            return "FIRM_TEST_NOW: \(quoted(text)) is not a UTC time such as 2030-01-01T00:00:00Z (it is for tests only; unset it)"
        case .danglingStateLink(let link, let target):
            return "\(link) is a symbolic link to \(quoted(target)), which does not exist; firm won't look for the states elsewhere (that would start empty and deploy again): restore its target or remove the link"
        case .expiryOutOfRange(let now, let ttl):
            return "a time to live of \(ttl) from \(now) ends after 9999-12-31T23:59:59Z, the last time a state can record; give a shorter --ttl (nothing was changed)"
        case .noRecord(let state):
            return "\(state) records no sandbox providers (it was last written by an older firm, or never applied); run the command with the blueprint file"
        case .noState(let location, let sandbox):
            return "no state\(sandbox.isEmpty ? "" : " for sandbox \(quoted(sandbox))") at \(location): it was never applied there, or its state is elsewhere; "
                + "run the command with the blueprint file (its state is found from the blueprint's home), or name the state with --state"
        case .importRefused(let message):
            return message
        }
    }
}
