import Foundation

/// `swift run -c release firm-bench ec2-race [--instances N] [--parallelism P] [--rounds R] [--moto PATH] [--no-terraform] [--write-docs]`:
/// firm against the tools its users would otherwise pick, on the same moto, as whole processes.
/// Each tool, in each round, gets a fresh moto behind the counting proxy; the tools take turns
/// within a round, so that what else the machine does falls on all of them alike.
///
/// - firm: apply, a no-op plan (with refresh) and destroy of N instances at parallelism P.
/// - bench/ec2_race_boto3.py: the hand-written boto3 script, P threads, in moto's venv.
/// - Terraform with the AWS provider, at -parallelism=P, when `terraform` and the provider's
///   plugin mirror are here (FIRM_BENCH_TF_MIRROR, else /opt/tf-plugins or
///   ~/.terraform.d/plugins); skipped with a note otherwise.
///
/// Reported per tool and figure: the median, min and max over the rounds; the CPU (user +
/// system) of the tool's processes; the EC2 calls per instance by API; and each peer's ratio
/// to firm.
enum EC2Race {
    enum Tool: String, CaseIterable {
        case firm, boto3, terraform

        var title: String {
            switch self {
            case .firm: "firm"
            case .boto3: "boto3 script"
            case .terraform: "Terraform"
            }
        }
    }

    enum Phase: String, CaseIterable {
        case apply, plan, destroy
    }

    /// One phase of one tool in one round.
    struct Run {
        var seconds: Double
        var cpu: Double
        var calls: [String: Int]
    }

    struct Setup {
        var instances: Int
        var parallelism: Int
        var moto: String
        var python: String
        var firm: String
        var script: String
        var terraform: (binary: String, mirror: String)?
    }

    static func run(_ args: BenchArguments) async throws {
        let moto = args.values["--moto"] ?? ProcessInfo.processInfo.environment["FIRM_MOTO_SERVER"] ?? ".build/venv-moto/bin/moto_server"
        guard FileManager.default.isExecutableFile(atPath: moto) else {
            throw BenchError("no moto_server at \(moto): run scripts/test once (it installs moto in .build/venv-moto), or pass --moto PATH")
        }
        let python = URL(fileURLWithPath: moto).deletingLastPathComponent().appendingPathComponent("python").path
        let firm = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("firm").path
        guard FileManager.default.isExecutableFile(atPath: firm) else { throw BenchError("no firm beside firm-bench (\(firm)): swift build -c release first") }
        let script = FileManager.default.currentDirectoryPath + "/bench/ec2_race_boto3.py"
        guard FileManager.default.fileExists(atPath: script) else { throw BenchError("no \(script): run firm-bench from the repository's root") }
        let setup = Setup(instances: args.int("--instances", 200), parallelism: args.int("--parallelism", 50), moto: moto, python: python,
                          firm: firm, script: script, terraform: args.flag("--no-terraform") ? nil : terraform())
        let rounds = args.int("--rounds", 3)
        var tools = Tool.allCases
        if setup.terraform == nil {
            tools.removeAll { $0 == .terraform }
            print(args.flag("--no-terraform") ? "ec2-race: Terraform is skipped (--no-terraform)"
                  : "ec2-race: Terraform is skipped: no `terraform` on PATH, or no hashicorp/aws in a plugin mirror (set FIRM_BENCH_TF_MIRROR)")
        }
        var results: [Tool: [[Phase: Run]]] = [:]
        for round in 1...rounds {
            for tool in tools {
                let runs = try await session(tool, setup)
                results[tool, default: []].append(runs)
                let figures = Phase.allCases.compactMap { phase in runs[phase].map { String(format: "%@ %.2f s (cpu %.2f s, %d calls)", phase.rawValue, $0.seconds, $0.cpu, $0.calls.values.reduce(0, +)) } }
                print("ec2-race round \(round)/\(rounds) \(tool.rawValue): " + figures.joined(separator: ", "))
            }
        }
        let table = report(results, tools: tools, setup: setup, rounds: rounds)
        print(table)
        if args.flag("--write-docs") { try write(table) }
    }

    /// The plugin mirror holding hashicorp/aws, and terraform, if both are here.
    static func terraform() -> (binary: String, mirror: String)? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard let binary = path.split(separator: ":").map({ "\($0)/terraform" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
        let home = FileManager.default.homeDirectoryForCurrentUser.path
        let candidates = [ProcessInfo.processInfo.environment["FIRM_BENCH_TF_MIRROR"], "/opt/tf-plugins", "\(home)/.terraform.d/plugins"].compactMap { $0 }
        guard let mirror = candidates.first(where: { FileManager.default.fileExists(atPath: "\($0)/registry.terraform.io/hashicorp/aws") }) else { return nil }
        return (binary, mirror)
    }

    /// A fresh moto and proxy, and one tool's phases on them.
    static func session(_ tool: Tool, _ setup: Setup) async throws -> [Phase: Run] {
        let dir = try FirmBench.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let motoPort = EC2Bench.freePort(), proxyPort = EC2Bench.freePort()
        let server = try EC2Bench.start(setup.moto, ["-H", "127.0.0.1", "-p", String(motoPort)], in: dir)
        defer { EC2Bench.stop(server) }
        let log = "\(dir)/calls.log"
        let proxy = try EC2Bench.start("/usr/bin/env", ["python3", "Tests/EndToEndTests/Fixtures/throttle_proxy.py", String(proxyPort), String(motoPort), "0", log],
                                       in: FileManager.default.currentDirectoryPath)
        defer { EC2Bench.stop(proxy) }
        try EC2Bench.waitForPort(proxyPort)
        try EC2Bench.waitForPort(motoPort)
        // moto loads its EC2 backend at its first call (seconds); that is no tool's time.
        _ = try await EC2Bench.benchClient(port: motoPort).call("DescribeAvailabilityZones", operation: "bench")
        let endpoint = "http://127.0.0.1:\(proxyPort)"
        let env = ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"]
        let n = String(setup.instances), p = String(setup.parallelism)
        var commands: [(Phase, String, [String])] = []
        var extraEnv: [String: String] = [:]
        switch tool {
        case .firm:
            try EC2Bench.blueprint(instances: setup.instances, endpoint: endpoint).write(toFile: "\(dir)/lab.json", atomically: true, encoding: .utf8)
            commands = [(.apply, setup.firm, ["apply", "lab.json", "--auto-approve", "--parallelism", p]),
                        (.plan, setup.firm, ["plan", "lab.json", "--detailed-exitcode"]),
                        (.destroy, setup.firm, ["destroy", "lab.json", "--auto-approve", "--parallelism", p])]
        case .boto3:
            commands = [(.apply, setup.python, [setup.script, endpoint, "apply", n, p, "\(dir)/race.json"]),
                        (.destroy, setup.python, [setup.script, endpoint, "destroy", "\(dir)/race.json"])]
        case .terraform:
            guard let terraform = setup.terraform else { return [:] }
            try terraformConfig(endpoint: endpoint, instances: setup.instances).write(toFile: "\(dir)/main.tf", atomically: true, encoding: .utf8)
            try "provider_installation {\n  filesystem_mirror {\n    path = \"\(terraform.mirror)\"\n  }\n}\n".write(toFile: "\(dir)/cli.tfrc", atomically: true, encoding: .utf8)
            extraEnv = ["TF_CLI_CONFIG_FILE": "\(dir)/cli.tfrc", "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"]
            _ = try measure(terraform.binary, ["init", "-input=false", "-no-color"], in: dir, env: env.merging(extraEnv) { $1 })
            commands = [(.apply, terraform.binary, ["apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=\(p)"]),
                        (.plan, terraform.binary, ["plan", "-input=false", "-no-color", "-detailed-exitcode", "-parallelism=\(p)"]),
                        (.destroy, terraform.binary, ["destroy", "-auto-approve", "-input=false", "-no-color", "-parallelism=\(p)"])]
        }
        var runs: [Phase: Run] = [:]
        for (phase, executable, arguments) in commands {
            try Data().write(to: URL(fileURLWithPath: log))
            let (seconds, cpu) = try measure(executable, arguments, in: dir, env: env.merging(extraEnv) { $1 })
            let calls = try EC2Bench.calls(log)
            runs[phase] = Run(seconds: seconds, cpu: cpu, calls: Dictionary(calls.map { ($0.key.action, $0.value.count) }, uniquingKeysWith: +))
        }
        return runs
    }

    /// Runs a command to its end: its wall time, and the CPU (user + system) of it and every
    /// process it waited for. Fails on an exit status other than 0.
    static func measure(_ executable: String, _ arguments: [String], in dir: String, env: [String: String]) throws -> (seconds: Double, cpu: Double) {
        func childCPU() -> Double {
            var usage = rusage()
            getrusage(RUSAGE_CHILDREN.rawValue, &usage)
            func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1_000_000 }
            return seconds(usage.ru_utime) + seconds(usage.ru_stime)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        process.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        let errors = Pipe()
        process.standardError = errors
        let cpuBefore = childCPU()
        let started = ContinuousClock.now
        try process.run()
        let text = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let seconds = (ContinuousClock.now - started).seconds
        let cpu = childCPU() - cpuBefore
        guard process.terminationStatus == 0 else {
            let name = URL(fileURLWithPath: executable).lastPathComponent
            throw BenchError("\(name) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(String(decoding: text.suffix(2000), as: UTF8.self))")
        }
        return (seconds, cpu)
    }

    /// The same sandbox as firm's and the script's, for Terraform 1.x and hashicorp/aws 5.x on moto.
    static func terraformConfig(endpoint: String, instances: Int) -> String {
        """
        terraform {
          required_providers {
            aws = { source = "hashicorp/aws" }
          }
        }

        provider "aws" {
          region                      = "us-east-1"
          access_key                  = "testing"
          secret_key                  = "testing"
          skip_credentials_validation = true
          skip_metadata_api_check     = true
          skip_requesting_account_id  = true
          skip_region_validation      = true
          endpoints {
            ec2 = "\(endpoint)"
          }
        }

        resource "aws_vpc" "lab" {
          cidr_block = "10.80.0.0/16"
        }

        resource "aws_subnet" "lab" {
          vpc_id     = aws_vpc.lab.id
          cidr_block = "10.80.0.0/20"
        }

        resource "aws_security_group" "lab" {
          vpc_id = aws_vpc.lab.id
          name   = "race"
        }

        resource "aws_instance" "vm" {
          count                  = \(instances)
          ami                    = "ami-1e749f67"
          instance_type          = "t3.micro"
          subnet_id              = aws_subnet.lab.id
          vpc_security_group_ids = [aws_security_group.lab.id]
          tags = {
            Name = "vm${count.index}"
          }
        }

        """
    }
}
