import Synchronization
import FirmBase
import FirmModel

/// What an `ec2` provider builds at its first call, not before (a `firm show` needs no
/// credentials): the credentials, the client, the poller, the batchers of instance calls, and
/// the sandbox's network ids once looked up. Its state is short and synchronous, so a Mutex guards it: `forgetNetwork` is done
/// when it returns, before any later lookup.
final class EC2Connection: Sendable {
    let provider: String
    let sandbox: String
    let settings: EC2Settings
    let environment: Environment
    let log: (@Sendable (String) -> Void)?
    private let state = Mutex(State())

    private struct State {
        var made: Calls?
        /// The lookup of the sandbox's network, shared by concurrent callers.
        var network: Task<SandboxNetwork, any Error>?
        var zone: String?
    }

    /// What calls EC2: the client, and what shares or batches its calls.
    struct Calls: Sendable {
        var client: EC2Client
        var poller: EC2Poller
        var batcher: EC2Batcher
        var launcher: EC2Launcher
    }

    /// The sandbox's VPC, security group and key pair, as prepared.
    struct SandboxNetwork: Sendable {
        var vpc: String
        var securityGroup: String
        var keyName: String?
    }

    init(provider: String, sandbox: String, settings: EC2Settings, environment: Environment, log: (@Sendable (String) -> Void)?) {
        self.log = log
        self.provider = provider
        self.sandbox = sandbox
        self.settings = settings
        self.environment = environment
    }

    /// The client, poller and batchers; a terminal error naming what is missing when there are no credentials.
    func client() throws -> Calls {
        try state.withLock { state in
            if let made = state.made { return made }
            let made = try make()
            state.made = made
            return made
        }
    }

    private func make() throws -> Calls {
        let credentials: AWSCredentials
        do {
            credentials = try AWSCredentials.resolve(settings, environment: environment)
        } catch {
            throw ProviderError(provider: provider, operation: "start", message: "\(error)", code: "NoCredentials")
        }
        var prefixed: (@Sendable (String) -> Void)?
        if let log {
            let provider = provider
            prefixed = { @Sendable line in log("[\(provider)] " + line) }
        }
        let client: EC2Client
        do {
            client = try EC2Client(provider: provider, credentials: credentials, endpoint: settings.endpoint, timeout: settings.requestTimeout,
                                   caBundle: environment["AWS_CA_BUNDLE"].flatMap { $0.isEmpty ? nil : $0 }, log: prefixed)
        } catch {
            throw ProviderError(provider: provider, operation: "start", message: "\(error)", code: "TLSUnavailable")
        }
        // One DescribeInstances per poll interval covers every instance in flight.
        let poller = EC2Poller(client: client, sandbox: sandbox, spacing: settings.pollInterval)
        let batcher = EC2Batcher(provider: provider) { action, ids, operation in
            _ = try await client.call(action, ids.enumerated().map { ("InstanceId.\($0.offset + 1)", $0.element) }, operation: operation)
        }
        let launcher = EC2Launcher(provider: provider, sandbox: sandbox) { parameters, operation in
            try await client.call("RunInstances", parameters, operation: operation)
        }
        return Calls(client: client, poller: poller, batcher: batcher, launcher: launcher)
    }

    /// The sandbox's network, looked up by its tags once (concurrent callers share the lookup).
    func sandboxNetwork(operation: String) async throws -> SandboxNetwork {
        let client = try client().client
        let sandbox = sandbox, provider = provider
        let task = state.withLock { state in
            if let network = state.network { return network }
            let task = Task { () throws -> SandboxNetwork in
                let lookup = EC2Lookup(client: client, sandbox: sandbox, operation: operation)
                guard let vpc = try await lookup.vpc() else {
                    throw ProviderError(provider: provider, operation: operation, message: "the sandbox \(sandbox) has no VPC: its infrastructure is not prepared")
                }
                guard let group = try await lookup.securityGroup(vpc: vpc) else {
                    throw ProviderError(provider: provider, operation: operation, message: "the sandbox \(sandbox) has no security group \(EC2Lookup.name(sandbox))")
                }
                return SandboxNetwork(vpc: vpc, securityGroup: group, keyName: try await lookup.keyPair())
            }
            state.network = task
            return task
        }
        do {
            return try await task.value
        } catch {
            // A failed lookup is not kept; one made since (after a forget) is.
            state.withLock { if $0.network == task { $0.network = nil } }
            throw error
        }
    }

    /// Forgets the looked-up network (after it was prepared or cleaned up). Synchronous: the
    /// next lookup, whenever it comes, looks again.
    func forgetNetwork() {
        state.withLock { $0.network = nil }
    }

    /// Keeps `network` as if it had been looked up (for tests).
    func remember(_ network: SandboxNetwork) {
        state.withLock { $0.network = Task { network } }
    }

    /// The availability zone every subnet of the sandbox goes in (instances with interfaces in
    /// several subnets need them in one zone): the region's first.
    func availabilityZone(operation: String) async throws -> String {
        if let zone = state.withLock({ $0.zone }) { return zone }
        let answer = try await client().client.call("DescribeAvailabilityZones", [], operation: operation)
        let names = answer.items("availabilityZoneInfo").compactMap { $0.value("zoneName") }.sorted()
        guard let first = names.first else {
            throw ProviderError(provider: provider, operation: operation, message: "DescribeAvailabilityZones listed no zone")
        }
        state.withLock { $0.zone = first }
        return first
    }
}
