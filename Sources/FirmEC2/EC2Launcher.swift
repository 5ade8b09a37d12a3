import FirmBase
import FirmModel

/// One per provider: deploys with identical launch specs (AMI, instance type, interfaces and
/// subnets, security group, key, user data, disk) that arrive within a short window go to EC2
/// as one RunInstances of `MinCount` = `MaxCount` = N, with one `ClientToken`.
///
/// - **Identity.** The members are put in order of their VM names, and each one's slot (the
///   token and its launch index) is recorded in its deploy's intent, durably, before the call.
///   Each instance of the answer goes to the member whose slot has its `amiLaunchIndex`.
///   Recovery after a crash finds an instance by its slot, through the `firm:launch` tag and
///   the launch index, so that it never makes a second set.
/// - **Idempotency.** The token is a hash of the sandbox and the members' VM names: a batch
///   whose members are retried together is sent with the same token, and EC2 answers the
///   instances the first call made.
/// - **All or none.** EC2 launches at least `MinCount` or nothing, so a batch is never half
///   made. An answer with fewer instances than asked (from an endpoint that does so anyway)
///   launches the members left over in a batch of their own, for at most `maxRounds` rounds.
/// - **Names.** Tags in RunInstances are the same for every instance, so a batch's instances
///   carry the sandbox's and the launch's tags, and the state maps each to its app (by its
///   slot, then its id). With the provider's `nameInstances`, each member's deploy also names
///   its instance (Name, `firm:app`) while it waits for it to run: one CreateTags each. A deploy
///   alone, or one that no intent recorded, is launched as before batching: one instance,
///   named in the same call.
final class EC2Launcher: Sendable {
    /// The RunInstances parameters that make instances alike: everything but the counts, the
    /// token and the tags.
    struct Spec: Hashable, Sendable {
        var parameters: [Parameter]

        struct Parameter: Hashable, Sendable {
            var name: String
            var value: String
        }

        init(_ parameters: [(String, String)]) {
            self.parameters = parameters.map { Parameter(name: $0.0, value: $0.1) }
        }
    }

    /// One deploy asking for an instance.
    struct Member: Sendable {
        var app: String
        var vmName: String
        var recorder: LaunchRecorder
    }

    /// What a member is handed: the instance as RunInstances answered it, and its slot when it
    /// was launched with others (and so is not named yet).
    struct Launched: Sendable {
        var instance: EC2Instance
        var slot: LaunchSlot?
    }

    /// Sends one RunInstances with these parameters; throws a ProviderError.
    typealias Sender = @Sendable (_ parameters: [(String, String)], _ operation: String) async throws -> XMLTree

    static let maxRounds = 3
    let provider: String
    let sandbox: String
    let send: Sender
    private let batches: WindowBatcher<Spec, Member, Launched>

    init(provider: String, sandbox: String, window: Duration = .milliseconds(5), limit: Int = 1000, send: @escaping Sender) {
        self.provider = provider
        self.sandbox = sandbox
        self.send = send
        batches = WindowBatcher(window: window, limit: limit) { spec, batch in
            await Self.run(spec, batch, provider: provider, sandbox: sandbox, send: send)
        }
    }

    /// The tag that names the launch an instance was made in (its token).
    static let launchTag = "firm:launch"

    /// An instance of `spec` for `member`, launched with the other members of its window.
    func launch(_ spec: Spec, _ member: Member) async throws -> Launched {
        try await batches.submit(spec, member)
    }

    /// An instance of `spec` for a deploy that no intent recorded: one call, named at once.
    func launchAlone(_ spec: Spec, app: String, vmName: String) async throws -> Launched {
        try await Self.launchAlone(spec, app: app, vmName: vmName, provider: provider, sandbox: sandbox, send: send)
    }

    /// One instance in one call, named in it: its token is its name's.
    private static func launchAlone(_ spec: Spec, app: String, vmName: String, provider: String, sandbox: String, send: Sender) async throws -> Launched {
        let parameters = spec.parameters.map { ($0.name, $0.value) } + [("MinCount", "1"), ("MaxCount", "1"), ("ClientToken", token([vmName], sandbox: sandbox))]
            + EC2Tags.specification(1, "instance", [("Name", vmName), (EC2Tags.sandbox, sandbox), (EC2Tags.app, app)])
        let answer = try await send(parameters, "deploy")
        guard let instance = answer.items("instancesSet").lazy.compactMap(EC2Instance.init).first else {
            throw ProviderError(provider: provider, operation: "deploy", message: "RunInstances answered no instance")
        }
        return Launched(instance: instance, slot: nil)
    }

    /// The idempotency token of a launch of these VM names (at most 64 ASCII characters): the
    /// names themselves for one short name, else a hash of the sandbox and the names.
    static func token(_ vmNames: [String], sandbox: String) -> String {
        if vmNames.count == 1 {
            let token = "\(sandbox)/\(vmNames[0])"
            if token.utf8.count <= 64 && token.allSatisfy(\.isASCII) { return token }
        }
        return "firm-" + String(SHA256.hex(([sandbox] + vmNames).joined(separator: "\n")).prefix(59))
    }

    private typealias Batch = WindowBatcher<Spec, Member, Launched>.Batch

    /// One window's members: their slots recorded, one call, each instance to its member by
    /// launch index; members an answer left out go round again.
    private static func run(_ spec: Spec, _ batch: Batch, provider: String, sandbox: String, send: @escaping Sender) async {
        let operation = "deploy"
        var remaining = batch.items.indices.filter(batch.isWaiting).sorted { batch.items[$0].vmName < batch.items[$1].vmName }
        for _ in 0..<maxRounds where !remaining.isEmpty {
            if remaining.count == 1, let member = remaining.first {
                // Alone in its window: named in the call itself, with no slot to record.
                let item = batch.items[member]
                do {
                    batch.finish(member, .success(try await launchAlone(spec, app: item.app, vmName: item.vmName, provider: provider, sandbox: sandbox, send: send)))
                } catch {
                    batch.finish(member, .failure(error))
                }
                return
            }
            let names = remaining.map { batch.items[$0].vmName }
            let token = token(names, sandbox: sandbox)
            do {
                // Every slot is durable before the call, or nothing is launched.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (index, member) in remaining.enumerated() {
                        let recorder = batch.items[member].recorder
                        group.addTask { try await recorder(LaunchSlot(token: token, index: index)) }
                    }
                    try await group.waitForAll()
                }
                let parameters = spec.parameters.map { ($0.name, $0.value) }
                    + [("MinCount", String(remaining.count)), ("MaxCount", String(remaining.count)), ("ClientToken", token)]
                    + EC2Tags.specification(1, "instance", [(EC2Tags.sandbox, sandbox), (launchTag, token)])
                let answer = try await send(parameters, operation)
                var byIndex: [Int: EC2Instance] = [:]
                for item in answer.items("instancesSet") {
                    guard let instance = EC2Instance(item), let index = instance.launchIndex, remaining.indices.contains(index), byIndex[index] == nil else {
                        throw ProviderError(provider: provider, operation: operation,
                                            message: "RunInstances answered an instance with no launch index, or one outside 0..<\(remaining.count), or twice the same")
                    }
                    byIndex[index] = instance
                }
                var left: [Int] = []
                for (index, member) in remaining.enumerated() {
                    if let instance = byIndex[index] {
                        batch.finish(member, .success(Launched(instance: instance, slot: LaunchSlot(token: token, index: index))))
                    } else {
                        left.append(member)
                    }
                }
                remaining = left.filter(batch.isWaiting)
            } catch {
                for member in remaining { batch.finish(member, .failure(error)) }
                return
            }
        }
        for member in remaining {
            batch.finish(member, .failure(ProviderError(provider: provider, operation: operation,
                                                        message: "RunInstances launched fewer instances than asked, \(maxRounds) times; app.\(batch.items[member].app) got none")))
        }
    }
}
