import Foundation
import Testing
@testable import FirmBase
import FirmTestSupport

/// Addresses stay unique across a sandbox when connect batches read only their own apps'
/// namespaces (the rest comes from the provider's address book): over several batches of one
/// run, and in a later run that removes apps and adds others (deletes and connects together).
extension LinuxProviderTests {
    /// `apps` on two auto VLANs, alternating.
    func manyApps(_ apps: [String]) -> String {
        let entries = apps.map { #""\#($0)": {"deploymentPath": {"provider": "lab", "deploymentType": "netns"}}"# }
        let connectors = apps.enumerated().map { #"{"from": "\#($1)", "to": "n\#($0 % 2)"}"# }
        return """
        {
          "version": 1,
          "name": "\(blueprintName)",
          "providers": {"lab": {"type": "linux", "connectivity": "L2",
                                "settings": {"cidr": "10.78.0.0/24", "vlanRange": "100-199", "bridge": "\(prefix)"}}},
          "apps": {\(entries.joined(separator: ", "))},
          "networks": {"n0": {"provider": "lab", "vlan": "auto"}, "n1": {"provider": "lab", "vlan": "auto"}},
          "connectors": [\(connectors.joined(separator: ", "))]
        }
        """
    }

    /// Every app namespace's addresses as the kernel has them, checked to be one each and all different.
    func expectUniqueAddresses(_ firm: FirmProcess, count: Int, _ comment: String) throws {
        let shown = try apps(firm)
        let held = try shown.values.map { try addresses($0.namespace) }
        #expect(shown.count == count && held.allSatisfy { $0.count == 1 }, "\(comment): \(held)")
        #expect(Set(held.joined()).count == count, "\(comment): an address is held twice: \(held.map { $0.map(\.description) })")
    }

    @Test("addresses stay unique when batches read only their own apps: 12 apps over many batches, then the 6 holding the higher addresses removed and 6 added in one run")
    func addressesAcrossBatches() throws {
        guard let firm = try labFolder() else { return }
        defer {
            cleanUp()
            firm.remove()
        }
        let first = (0..<12).map { "a\($0)" }
        firm.write("lab.json", manyApps(first))
        let apply = try firm.run(["apply", "lab.json", "--auto-approve", "--parallelism", "3"])
        #expect(apply.code == 0, "\(apply.output)")
        try expectUniqueAddresses(firm, count: 12, "after the first apply")

        let second = Array(first.prefix(6)) + (0..<6).map { "b\($0)" }
        firm.write("lab.json", manyApps(second))
        let again = try firm.run(["apply", "lab.json", "--auto-approve", "--parallelism", "3"])
        #expect(again.code == 0, "\(again.output)")
        try expectUniqueAddresses(firm, count: 12, "after removing six apps and adding six")
        #expect(try firm.run(["plan", "lab.json", "--detailed-exitcode"]).code == 0)

        #expect(try firm.run(["destroy", "lab.json", "--auto-approve"]).code == 0)
        #expect(try namespaces().isEmpty)
    }
}
