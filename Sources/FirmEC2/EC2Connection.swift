import FirmBase
import FirmModel

/// What an `ec2` provider builds at its first call, not before (a `firm show` needs no
/// credentials): the credentials, the client, the poller, and the sandbox's network ids once
/// looked up.
actor EC2Connection {
    let provider: String
    let sandbox: String
    let settings: EC2Settings
    let environment: Environment
    let log: (@Sendable (String) -> Void)?
    private var made: (client: EC2Client, poller: EC2Poller)?
    private var network: Task<SandboxNetwork, any Error>?
    private var zone: String?

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

    /// The client and poller; a terminal error naming what is missing when there are no credentials.
    func client() throws -> (client: EC2Client, poller: EC2Poller) {
        if let made { return made }
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
        let client = EC2Client(provider: provider, credentials: credentials, endpoint: settings.endpoint, log: prefixed)
        let poller = EC2Poller(client: client, sandbox: sandbox, spacing: min(settings.pollInterval / 4, .milliseconds(250)))
        made = (client, poller)
        return (client, poller)
    }

    /// The sandbox's network, looked up by its tags once (concurrent callers share the lookup).
    func sandboxNetwork(operation: String) async throws -> SandboxNetwork {
        if let network { return try await network.value }
        let client = try client().client
        let sandbox = sandbox, provider = provider
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
        network = task
        do {
            return try await task.value
        } catch {
            network = nil
            throw error
        }
    }

    /// Forgets the looked-up network (after it was prepared or cleaned up).
    func forgetNetwork() { network = nil }

    /// The availability zone every subnet of the sandbox goes in (instances with interfaces in
    /// several subnets need them in one zone): the region's first.
    func availabilityZone(operation: String) async throws -> String {
        if let zone { return zone }
        let answer = try await client().client.call("DescribeAvailabilityZones", [], operation: operation)
        let names = answer.items("availabilityZoneInfo").compactMap { $0.value("zoneName") }.sorted()
        guard let first = names.first else {
            throw ProviderError(provider: provider, operation: operation, message: "DescribeAvailabilityZones listed no zone")
        }
        zone = first
        return first
    }
}
