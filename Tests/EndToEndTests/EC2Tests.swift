import Foundation
import Testing
@testable import FirmBase
@testable import FirmModel
@testable import FirmPlanning
@testable import FirmExecution
@testable import FirmSimulated
@testable import FirmProcess
@testable import FirmEC2
@testable import FirmLocalState
@testable import FirmEtcdState
@testable import FirmSession
@testable import FirmDrift
@testable import Firmament
import FirmTestSupport

/// The built-in ec2 provider, through `firm`, against moto's server with signature checking on.
@Suite("End to end: EC2 on moto", .serialized)
struct EC2Tests {
    static let blueprint = ProcessDriverTests.root.appendingPathComponent("blueprints/ec2-sandbox.json").path

    /// blueprints/ec2-sandbox.json aimed at `endpoint`, with `networks` and `connectors` changed by `edit`.
    static func blueprint(endpoint: String, edit: (inout String) -> Void = { _ in }) throws -> String {
        var text = try String(contentsOfFile: blueprint, encoding: .utf8).replacingOccurrences(of: "http://127.0.0.1:5055", with: endpoint)
        edit(&text)
        return text
    }

    @Test("blueprints/ec2-sandbox.json: apply, an empty plan, drift after StopInstances and TerminateInstances fixed, a subnet added and removed, destroy leaves nothing",
          .enabled(if: MotoServer.required))
    func lifecycle() throws {
        let moto = try MotoServer()
        defer { moto.stop() }
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", try Self.blueprint(endpoint: moto.endpoint))
        let env = moto.environment

        let apply = try firm.run(["apply", "lab.json", "--auto-approve"], environment: env)
        #expect(apply.code == 0, "\(apply.output)")
        var instances = try moto.instances(sandbox: "ec2-sandbox")
        #expect(instances.mapValues(\.count) == ["bastion": 1, "api": 1, "batch": 1], "\(instances)")
        #expect(instances["bastion"]?.first?.state == "running" && instances["bastion"]?.first?.publicAddress.isEmpty == false, "the public subnet gives an address")
        #expect(instances["api"]?.first?.publicAddress == "", "the private subnet gives none")
        #expect(instances["batch"]?.first?.state == "stopped", "batch is powered off")
        #expect(instances["api"]?.first?.tags["Name"]?.hasPrefix("api__") == true)
        #expect(try firm.run(["plan", "lab.json", "--detailed-exitcode"], environment: env).code == 0, "a second plan is empty")
        let show = try firm.run(["state", "show", "lab.json", "provider.aws"], environment: env)
        #expect(show.stdout.contains("(sensitive)") && !show.stdout.contains("BEGIN"), "the key pair's private key is masked: \(show.stdout)")

        // Out of band, through the EC2 API.
        let bastion = try #require(instances["bastion"]?.first), api = try #require(instances["api"]?.first)
        try moto.ec2("StopInstances", [("InstanceId.1", bastion.id)])
        try moto.ec2("TerminateInstances", [("InstanceId.1", api.id)])
        let drift = try firm.run(["drift", "lab.json"], environment: env)
        #expect(drift.code == 2, "\(drift.output)")
        #expect(drift.stdout.contains("app.bastion") && drift.stdout.contains("app.api"), "\(drift.stdout)")
        let fix = try firm.run(["apply", "lab.json", "--auto-approve"], environment: env)
        #expect(fix.code == 0, "\(fix.output)")
        #expect(try firm.run(["drift", "lab.json"], environment: env).code == 0)
        instances = try moto.instances(sandbox: "ec2-sandbox")
        #expect(instances.mapValues(\.count) == ["bastion": 1, "api": 1, "batch": 1])
        #expect(instances["bastion"]?.first?.state == "running")

        // A subnet added, then removed.
        firm.write("lab.json", try Self.blueprint(endpoint: moto.endpoint) { text in
            text = text.replacingOccurrences(of: #""private": { "provider": "aws", "subnet": "10.50.2.0/24", "public": false }"#,
                                             with: #""private": { "provider": "aws", "subnet": "10.50.2.0/24", "public": false }, "extra": { "provider": "aws", "subnet": "10.50.3.0/24" }"#)
        })
        let add = try firm.run(["apply", "lab.json", "--auto-approve"], environment: env)
        #expect(add.code == 0, "\(add.output)")
        let subnets = { try moto.ec2("DescribeSubnets", [("Filter.1.Name", "tag:firm:network"), ("Filter.1.Value.1", "extra")]).items("subnetSet").count }
        #expect(try subnets() == 1)
        firm.write("lab.json", try Self.blueprint(endpoint: moto.endpoint))
        let remove = try firm.run(["apply", "lab.json", "--auto-approve"], environment: env)
        #expect(remove.code == 0, "\(remove.output)")
        #expect(try subnets() == 0)

        let destroy = try firm.run(["destroy", "lab.json", "--auto-approve"], environment: env)
        #expect(destroy.code == 0, "\(destroy.output)")
        #expect(try moto.leftovers(sandbox: "ec2-sandbox") == ["instances": 0, "vpcs": 0, "subnets": 0, "gateways": 0, "groups": 0, "keyPairs": 0])
    }

    @Test("a wrong secret fails with a clear AuthFailure, exit 1, and nothing is deployed", .enabled(if: MotoServer.required))
    func wrongSecret() throws {
        let moto = try MotoServer()
        defer { moto.stop() }
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", try Self.blueprint(endpoint: moto.endpoint))
        let result = try firm.run(["apply", "lab.json", "--auto-approve"],
                                  environment: ["AWS_ACCESS_KEY_ID": moto.accessKey, "AWS_SECRET_ACCESS_KEY": "not-the-secret"])
        #expect(result.code == 1, "\(result.output)")
        #expect(result.output.contains("AuthFailure") && result.output.contains("check the access key and secret"), "\(result.output)")
        #expect(!result.output.contains("not-the-secret"))
        #expect(try moto.leftovers(sandbox: "ec2-sandbox").values.allSatisfy { $0 == 0 })
    }

    @Test("no credentials at all is a clear error before any call", .enabled(if: MotoServer.required))
    func noCredentials() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", try Self.blueprint(endpoint: "http://127.0.0.1:9"))
        let result = try firm.run(["plan", "lab.json"], environment: ["HOME": firm.path("home"), "AWS_PROFILE": "nobody"],
                                  unset: ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"])
        #expect(result.code == 1, "\(result.output)")
        #expect(result.output.contains("no AWS credentials"), "\(result.output)")
    }

    @Test("credentials and the region from a profile in ~/.aws", .enabled(if: MotoServer.required))
    func profile() throws {
        let moto = try MotoServer()
        defer { moto.stop() }
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("home/.aws/credentials", "[ci]\naws_access_key_id = \(moto.accessKey)\naws_secret_access_key = \(moto.secret)\n")
        firm.write("home/.aws/config", "[profile ci]\nregion = us-east-1\n")
        firm.write("lab.json", try Self.blueprint(endpoint: moto.endpoint) { text in
            text = text.replacingOccurrences(of: #""region": "us-east-1","#, with: #""profile": "ci","#)
        })
        let result = try firm.run(["apply", "lab.json", "--auto-approve"], environment: ["HOME": firm.path("home")],
                                  unset: ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"])
        #expect(result.code == 0, "\(result.output)")
        #expect(try moto.instances(sandbox: "ec2-sandbox").count == 3)
    }

    @Test("kill -9 at random points of apply and destroy: every next run converges, with exactly one instance per app",
          .enabled(if: MotoServer.required))
    func crashSafety() throws {
        let moto = try MotoServer()
        defer { moto.stop() }
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", try Self.blueprint(endpoint: moto.endpoint))
        let env = moto.environment
        var generator = SplitMix.announced("EC2 kill -9", variable: "FIRM_TORTURE_SEED")
        let rounds = Int(ProcessInfo.processInfo.environment["FIRM_EC2_CRASH_ROUNDS"] ?? "") ?? 10
        for round in 0..<rounds {
            let command = round % 3 == 2 ? ["destroy", "lab.json", "--auto-approve"] : ["apply", "lab.json", "--auto-approve"]
            let delay = Int.random(in: 30...900, using: &generator)
            let (process, _, _) = try firm.start(command, environment: env)
            // The random moment of the kill is what is tested, so this pause stays.
            Thread.sleep(forTimeInterval: Double(delay) / 1000)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let again = try firm.run(["apply", "lab.json", "--auto-approve"], environment: env)
            #expect(again.code == 0, "round \(round) (\(command[0]), seed \(generator.seed), killed after \(delay) ms): \(again.output)")
            let instances = try moto.instances(sandbox: "ec2-sandbox")
            #expect(instances.mapValues(\.count) == ["bastion": 1, "api": 1, "batch": 1],
                    "round \(round) (\(command[0]), seed \(generator.seed), killed after \(delay) ms): \(instances.mapValues { $0.map(\.id) })")
            #expect(try firm.run(["plan", "lab.json", "--detailed-exitcode"], environment: env).code == 0, "round \(round): converged")
        }
        #expect(try firm.run(["destroy", "lab.json", "--auto-approve"], environment: env).code == 0)
        #expect(try moto.leftovers(sandbox: "ec2-sandbox").values.allSatisfy { $0 == 0 })
    }

    @Test("kill -9 at random points of a batched apply and destroy of 8 identical instances: every next run converges, with exactly one instance per app",
          .enabled(if: MotoServer.required))
    func batchedCrashSafety() throws {
        let moto = try MotoServer()
        defer { moto.stop() }
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("fleet.json", Self.fleet(8, power: "on", endpoint: moto.endpoint))
        let env = moto.environment, apps = Dictionary(uniqueKeysWithValues: (1...8).map { ("app\($0)", 1) })
        var generator = SplitMix.announced("EC2 batched kill -9", variable: "FIRM_TORTURE_SEED")
        let rounds = Int(ProcessInfo.processInfo.environment["FIRM_EC2_CRASH_ROUNDS"] ?? "") ?? 10
        for round in 0..<rounds {
            let command = round % 2 == 1 ? ["destroy", "fleet.json", "--auto-approve"] : ["apply", "fleet.json", "--auto-approve"]
            let delay = Int.random(in: 30...900, using: &generator)
            let (process, _, _) = try firm.start(command, environment: env)
            // The random moment of the kill is what is tested, so this pause stays.
            Thread.sleep(forTimeInterval: Double(delay) / 1000)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let again = try firm.run(["apply", "fleet.json", "--auto-approve"], environment: env)
            let context = "round \(round) (\(command[0]), seed \(generator.seed), killed after \(delay) ms)"
            #expect(again.code == 0, "\(context): \(again.output)")
            // Instances launched together carry no app tag: the state maps each to its app.
            let instances = try moto.instances(sandbox: "ec2-fleet").values.flatMap { $0 }.map(\.id)
            let state = try StateStore.load(StatePaths(snapshot: firm.path("state/ec2-fleet.state.json")), blueprint: "ec2-fleet").state
            #expect(instances.count == 8 && Set(state.apps.mapValues { _ in 1 }.keys) == Set(apps.keys) && Set(state.apps.values.map(\.vmUuid)) == Set(instances),
                    "\(context): cloud \(instances.sorted()), state \(state.apps.mapValues(\.vmUuid))")
            #expect(try firm.run(["plan", "fleet.json", "--detailed-exitcode"], environment: env).code == 0, "\(context): converged")
        }
        #expect(try firm.run(["destroy", "fleet.json", "--auto-approve"], environment: env).code == 0)
        #expect(try moto.leftovers(sandbox: "ec2-fleet").values.allSatisfy { $0 == 0 })
    }

    @Test("kill -9 after moto made a batched launch and before firm heard of it: the next apply adopts each instance by its launch slot and makes no second set",
          .enabled(if: MotoServer.required), arguments: [false, true])
    func batchedLaunchRecovery(nameInstances: Bool) throws {
        let moto = try MotoServer()
        defer { moto.stop() }
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("hold", "")
        let (proxy, port) = try Self.startProxy(moto, firm, share: "0", hold: ("RunInstances", firm.path("hold"), after: true))
        defer { Self.stop(proxy) }
        firm.write("fleet.json", Self.fleet(8, power: "on", endpoint: "http://127.0.0.1:\(port)", nameInstances: nameInstances))
        let env = moto.environment
        let (process, _, _) = try firm.start(["apply", "fleet.json", "--auto-approve"], environment: env)
        #expect(waitUntil(.seconds(60)) { firm.read("proxy.log")?.contains("holding RunInstances") ?? false }, "the apply reached RunInstances")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try FileManager.default.removeItem(atPath: firm.path("hold"))
        // The launch made every instance, none named for its app, and firm never heard of them.
        let launched = try moto.instances(sandbox: "ec2-fleet")
        #expect(launched.keys.sorted() == [""] && launched[""]?.count == 8, "\(launched.mapValues { $0.map(\.tags) })")

        let again = try firm.run(["apply", "fleet.json", "--auto-approve"], environment: env)
        #expect(again.code == 0, "\(again.output)")
        #expect(again.output.components(separatedBy: "adopted VM").count - 1 == 8, "\(again.output)")
        let state = try StateStore.load(StatePaths(snapshot: firm.path("state/ec2-fleet.state.json")), blueprint: "ec2-fleet").state
        let instances = try moto.instances(sandbox: "ec2-fleet").values.flatMap { $0 }
        #expect(Set(instances.map(\.id)) == Set(launched[""]?.map(\.id) ?? []), "the same 8 instances, and no more")
        #expect(Set(state.apps.values.map(\.vmUuid)) == Set(instances.map(\.id)) && state.apps.count == 8, "each app has one of them")
        if nameInstances {
            for (app, recorded) in state.apps {
                #expect(instances.first { $0.id == recorded.vmUuid }.map { [$0.tags["Name"], $0.tags["firm:app"]] } == [recorded.vmName, app], "\(app) is named")
            }
        }
        #expect(try firm.run(["plan", "fleet.json", "--detailed-exitcode"], environment: env).code == 0)
        #expect(try firm.run(["destroy", "fleet.json", "--auto-approve"], environment: env).code == 0)
        #expect(try moto.leftovers(sandbox: "ec2-fleet").values.allSatisfy { $0 == 0 })
    }

    @Test("throttling: with RequestLimitExceeded injected into a share of the calls, apply converges through retries, and the retries show",
          .enabled(if: MotoServer.required))
    func throttling() throws {
        let moto = try MotoServer()
        defer { moto.stop() }
        let firm = FirmProcess()
        defer { firm.remove() }
        let (proxy, port) = try Self.startProxy(moto, firm, share: "0.3")
        defer { Self.stop(proxy) }
        firm.write("lab.json", try Self.blueprint(endpoint: "http://127.0.0.1:\(port)") { text in
            text = text.replacingOccurrences(of: #""connectivity": "L3","#, with: #""connectivity": "L3", "retries": 10,"#)
        })
        let apply = try firm.run(["apply", "lab.json", "--auto-approve", "-v"], environment: moto.environment)
        #expect(apply.code == 0, "\(apply.output)")
        #expect(apply.stderr.contains("throttled (RequestLimitExceeded); trying again"), "-v shows each call tried again: \(apply.stderr)")
        #expect(try moto.instances(sandbox: "ec2-sandbox").mapValues(\.count) == ["bastion": 1, "api": 1, "batch": 1])
        #expect(firm.read("proxy.log")?.contains("throttled") == true, "the proxy did throttle")
    }

    /// Fixtures/throttle_proxy.py in front of `moto` on a free port, throttling `share` of the
    /// calls and, with `callLog`, logging each call there; its port, once it listens. Its output
    /// goes to proxy.log in `firm`'s folder: it never ends, so a pipe would never reach its end.
    /// With `hold`, calls of that action are held while the file exists (after moto has done
    /// them, when `after`), and lost once it is gone. With `tls`, it serves HTTPS with that
    /// certificate.
    static func startProxy(_ moto: MotoServer, _ firm: FirmProcess, share: String, callLog: String? = nil,
                           hold: (action: String, file: String, after: Bool)? = nil, tls: TestCertificates.Server? = nil) throws -> (Process, Int) {
        let proxy = Process()
        var environment: [String: String] = [:]
        if let hold { environment.merge(["HOLD_ACTION": hold.action, "HOLD_FILE": hold.file, "HOLD_AFTER": hold.after ? "1" : "0"]) { $1 } }
        if let tls { environment.merge(["PROXY_TLS_CERT": tls.certificate, "PROXY_TLS_KEY": tls.key]) { $1 } }
        if !environment.isEmpty {
            proxy.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        proxy.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let port = freePort()
        proxy.arguments = ["python3", "\(ProcessDriverTests.root.path)/Tests/EndToEndTests/Fixtures/throttle_proxy.py", String(port), String(moto.port), share]
            + (callLog.map { [$0] } ?? [])
        firm.write("proxy.log", "")
        proxy.standardOutput = FileHandle(forWritingAtPath: firm.path("proxy.log"))
        try proxy.run()
        #expect(waitUntil { firm.read("proxy.log")?.contains("listening") ?? false })
        return (proxy, port)
    }

    /// SIGKILL: a child may inherit a blocked SIGTERM from the test runner's threads.
    static func stop(_ proxy: Process) {
        kill(proxy.processIdentifier, SIGKILL)
        proxy.waitUntilExit()
    }

    /// A sandbox of `count` instances on one private subnet, all with `power`, aimed at `endpoint`.
    static func fleet(_ count: Int, power: String, endpoint: String, nameInstances: Bool = false) -> String {
        let apps = (1...count).map { n in
            #""app\#(n)": {"deploymentPath": {"provider": "aws", "deploymentType": "instance", "attributes": {"AMI": "ami-1e749f67"}}, "power": "\#(power)", "waitForIP": false}"#
        }
        let connectors = (1...count).map { n in #"{"from": "app\#(n)", "to": "private"}"# }
        return #"{"version": 1, "name": "ec2-fleet", "providers": {"aws": {"type": "ec2", "connectivity": "L3", "settings": {"region": "us-east-1", "cidr": "10.60.0.0/16", "endpoint": "\#(endpoint)", "nameInstances": \#(nameInstances)}}}, "apps": {\#(apps.joined(separator: ", "))}, "networks": {"private": {"provider": "aws", "subnet": "10.60.1.0/24"}}, "connectors": [\#(connectors.joined(separator: ", "))]}"#
    }

    @Test("over https (TLS through the system's OpenSSL): an apply and a destroy with the CA in AWS_CA_BUNDLE; without it, refused naming the endpoint, and nothing made",
          .enabled(if: MotoServer.required))
    func https() throws {
        let moto = try MotoServer()
        defer { moto.stop() }
        let firm = FirmProcess()
        defer { firm.remove() }
        let certificates = try TestCertificates()
        defer { certificates.folder.remove() }
        let (proxy, port) = try Self.startProxy(moto, firm, share: "0", tls: certificates.server("ec2"))
        defer { Self.stop(proxy) }
        let env = moto.environment.merging(["AWS_CA_BUNDLE": certificates.caFile]) { $1 }
        firm.write("fleet.json", Self.fleet(2, power: "on", endpoint: "https://127.0.0.1:\(port)"))
        let untrusted = try firm.run(["apply", "fleet.json", "--auto-approve"], environment: moto.environment)
        #expect(untrusted.code == 1 && untrusted.stderr.contains("not signed by a CA firm trusts (give its CA in AWS_CA_BUNDLE)"), "\(untrusted.output)")
        #expect(untrusted.stderr.contains("127.0.0.1:\(port)"), "the endpoint is named: \(untrusted.stderr)")
        #expect(try moto.leftovers(sandbox: "ec2-fleet").values.allSatisfy { $0 == 0 }, "nothing made without trust")
        let apply = try firm.run(["apply", "fleet.json", "--auto-approve"], environment: env)
        #expect(apply.code == 0, "\(apply.output)")
        #expect(try moto.instances(sandbox: "ec2-fleet").values.map(\.count).reduce(0, +) == 2)
        #expect(try firm.run(["plan", "fleet.json", "--detailed-exitcode"], environment: env).code == 0, "a second plan over TLS is empty")
        let destroy = try firm.run(["destroy", "fleet.json", "--auto-approve"], environment: env)
        #expect(destroy.code == 0, "\(destroy.output)")
        #expect(try moto.leftovers(sandbox: "ec2-fleet").values.allSatisfy { $0 == 0 })
    }

    @Test("batching: deploying, powering off and destroying 20 instances sends far fewer RunInstances, StopInstances and TerminateInstances calls than instances, and each app has its own instance",
          .enabled(if: MotoServer.required))
    func batching() throws {
        let moto = try MotoServer()
        defer { moto.stop() }
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("calls.log", "")
        let (proxy, port) = try Self.startProxy(moto, firm, share: "0", callLog: firm.path("calls.log"))
        defer { Self.stop(proxy) }
        let endpoint = "http://127.0.0.1:\(port)", env = moto.environment
        /// How many calls of `action` the proxy has logged.
        func calls(_ action: String) -> Int {
            (firm.read("calls.log") ?? "").split(separator: "\n").filter { $0.split(separator: " ").first == Substring(action) }.count
        }
        firm.write("fleet.json", Self.fleet(20, power: "on", endpoint: endpoint))
        let apply = try firm.run(["apply", "fleet.json", "--auto-approve"], environment: env)
        #expect(apply.code == 0, "\(apply.output)")
        let launched = try moto.instances(sandbox: "ec2-fleet").values.flatMap { $0 }
        #expect(launched.count == 20)
        let runs = calls("RunInstances")
        #expect(runs >= 1 && runs <= 10, "20 deploys sent \(runs) RunInstances calls")
        #expect(calls("CreateTags") == 0, "instances launched together are not named one by one")
        // Each app has its own instance.
        let state = try StateStore.load(StatePaths(snapshot: firm.path("state/ec2-fleet.state.json")), blueprint: "ec2-fleet").state
        #expect(state.apps.count == 20 && Set(state.apps.values.map(\.vmUuid)) == Set(launched.map(\.id)))

        firm.write("fleet.json", Self.fleet(20, power: "off", endpoint: endpoint))
        let off = try firm.run(["apply", "fleet.json", "--auto-approve"], environment: env)
        #expect(off.code == 0, "\(off.output)")
        #expect(try moto.instances(sandbox: "ec2-fleet").values.flatMap { $0 }.allSatisfy { $0.state == "stopped" })
        let stops = calls("StopInstances")
        #expect(stops >= 1 && stops <= 10, "20 power-offs sent \(stops) StopInstances calls")

        let destroy = try firm.run(["destroy", "fleet.json", "--auto-approve"], environment: env)
        #expect(destroy.code == 0, "\(destroy.output)")
        #expect(try moto.leftovers(sandbox: "ec2-fleet").values.allSatisfy { $0 == 0 })
        let terminates = calls("TerminateInstances")
        #expect(terminates >= 1 && terminates <= 10, "20 deletes sent \(terminates) TerminateInstances calls")
    }
}
