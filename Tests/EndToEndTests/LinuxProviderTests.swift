import Foundation
import Testing
@testable import FirmBase
import FirmTestSupport

/// The `linux` provider through the built `firm`, on this machine's kernel: namespaces, veths
/// and a bridge per VLAN, checked with ping and curl inside the namespaces, and with `ip -json`
/// for what is left behind. Needs root (CAP_NET_ADMIN), iproute2 and ping (scripts/test
/// installs them). Every name carries a prefix unique to the run, and whatever the test made is
/// removed at its end, passed or failed.
@Suite("End to end: the linux provider", .serialized)
struct LinuxProviderTests {
    /// A prefix of 8 characters (the longest the provider takes) unique to this run.
    let prefix = "ft" + String(UUIDText.hex(6))
    var blueprintName: String { "lnx-" + prefix }
    var marker: String { "/tmp/firm-linux-test-" + prefix }

    /// web and app on front, app and db on back (the three-tier shape); `appOnBack: false`
    /// leaves out the app–back connector.
    /// `front` is front's VLAN (`"auto"` for sandboxes that run side by side).
    func blueprint(appOnBack: Bool = true, front: String = "120") -> String {
        """
        {
          "version": 1,
          "name": "\(blueprintName)",
          "providers": {
            "lab": {"type": "linux", "connectivity": "L2",
                    "settings": {"cidr": "10.77.0.0/24", "vlanRange": "100-199", "bridge": "\(prefix)"}}
          },
          "apps": {
            "web": {"deploymentPath": {"provider": "lab", "deploymentType": "netns",
                    "attributes": {"Command": "exec python3 -m http.server 8080 --directory \(marker)"}}},
            "app": {"deploymentPath": {"provider": "lab", "deploymentType": "netns"}},
            "db": {"deploymentPath": {"provider": "lab", "deploymentType": "netns"}}
          },
          "networks": {
            "front": {"provider": "lab", "vlan": \(front)},
            "back": {"provider": "lab", "vlan": "auto"}
          },
          "connectors": [
            {"from": "web", "to": "front"},
            {"from": "app", "to": "front"},
            {"from": "db", "to": "back"}\(appOnBack ? #",{"from": "app", "to": "back"}"# : "")
          ]
        }
        """
    }

    static let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }

    func sh(_ command: String) throws -> ChildOutput { try runChild("/bin/sh", ["-c", command]) }

    /// Every namespace whose name starts with the test's prefix.
    func namespaces() throws -> [String] {
        let out = try runChild(Self.ip!, ["-json", "netns", "list"])
        guard !out.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return [] }
        return (try JSONReader.parse(out.stdout).plain.arrayValue ?? []).compactMap { $0["name"]?.stringValue }.filter { $0.hasPrefix(prefix + "-") }
    }

    /// The processes whose command line names the test's marker folder.
    func services() -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
            guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let line = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return line.contains(marker) && line.contains("http.server") ? pid : nil
        }
    }

    /// A firm folder for a test that needs root and iproute2 (nil, with the issue recorded,
    /// without them), with the service's folder made; the caller removes both (`cleanUp`).
    func labFolder() throws -> FirmProcess? {
        guard Self.ip != nil, getuid() == 0 else {
            Issue.record("the linux provider's tests need root and iproute2 (scripts/test installs iproute2 and iputils-ping)")
            return nil
        }
        try FileManager.default.createDirectory(atPath: marker, withIntermediateDirectories: true)
        return FirmProcess()
    }

    /// Removes whatever the test made.
    func cleanUp() {
        for pid in services() { kill(pid, SIGKILL) }
        for ns in (try? namespaces()) ?? [] { _ = try? runChild(Self.ip!, ["netns", "del", ns]) }
        try? FileManager.default.removeItem(atPath: marker)
    }

    /// Each app's namespace and address, from `firm show --json` (of `sandbox` when given).
    func apps(_ firm: FirmProcess, sandbox: String? = nil) throws -> [String: (namespace: String, address: String)] {
        let show = try firm.run(["show", "lab.json", "--json"] + (sandbox.map { ["--sandbox", $0] } ?? []))
        var result: [String: (namespace: String, address: String)] = [:]
        for (name, app) in try JSONReader.parse(show.stdout).plain["apps"]?.objectValue?.members ?? [] {
            result[name] = (app["vmUuid"]?.stringValue ?? "", app["address"]?.stringValue ?? "")
        }
        return result
    }

    /// The IPv4 addresses on the interfaces of `namespace` (but lo's), as the kernel has them.
    func addresses(_ namespace: String) throws -> [IPv4Address] {
        let out = try runChild(Self.ip!, ["-n", namespace, "-json", "addr", "show"])
        return (try JSONReader.parse(out.stdout).plain.arrayValue ?? []).flatMap { link in
            (link["addr_info"]?.arrayValue ?? []).filter { $0["family"]?.stringValue == "inet" }.compactMap { $0["local"]?.stringValue.flatMap(IPv4Address.init) }.filter { $0.value >> 24 != 127 }
        }
    }

    func ping(from namespace: String, _ address: String) throws -> Bool {
        try runChild(Self.ip!, ["netns", "exec", namespace, "ping", "-c", "1", "-W", "1", address]).status == 0
    }

    /// Whether a ping gets through within a few tries (a fresh port's neighbours are learnt).
    func reaches(_ from: String, _ address: String) async throws -> Bool {
        await eventually(.seconds(10)) { (try? ping(from: from, address)) == true }
    }

    @Test("three apps on two VLANs: ping within a VLAN, none across; the service answers; drift repaired; kill -9 mid-apply leaves no orphan; destroy leaves nothing")
    func lab() async throws {
        guard let firm = try labFolder() else { return }
        defer {
            cleanUp()
            firm.remove()
        }
        try "hello from web\n".write(toFile: marker + "/index.html", atomically: true, encoding: .utf8)
        firm.write("lab.json", blueprint())

        let apply = try firm.run(["apply", "lab.json", "--auto-approve"])
        #expect(apply.code == 0, "\(apply.output)")
        var apps = try apps(firm)
        let (web, app, db) = (apps["web"]!, apps["app"]!, apps["db"]!)
        #expect(Set(try namespaces()) == [web.namespace, app.namespace, db.namespace, String(web.namespace.dropLast(9))])

        // Each VLAN has its own subnet of the CIDR, and app has an address on both.
        let webAddress = try #require(IPv4Address(web.address))
        let front = CIDR(network: IPv4Address(webAddress.value & ~UInt32(15)), prefix: 28)
        let appAddresses = try addresses(app.namespace)
        #expect(appAddresses.count == 2 && !front.contains(IPv4Address(db.address)!), "\(appAddresses) \(web) \(db)")
        let appOnFront = try #require(appAddresses.first(where: front.contains)).description
        let appOnBack = try #require(appAddresses.first { !front.contains($0) }).description
        // Same VLAN (front): web and app reach each other; app reaches db on back too, through
        // its other interface; web reaches no one on back.
        #expect(try await reaches(web.namespace, appOnFront))
        #expect(try await reaches(app.namespace, web.address))
        #expect(try await reaches(app.namespace, db.address))
        #expect(try await reaches(db.namespace, appOnBack))
        #expect(try ping(from: web.namespace, db.address) == false)
        #expect(try ping(from: web.namespace, appOnBack) == false)

        // The app–back connector removed: app no longer reaches db; added back: it does again.
        firm.write("lab.json", blueprint(appOnBack: false))
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        #expect(try ping(from: app.namespace, db.address) == false)
        #expect(try addresses(app.namespace).count == 1)
        firm.write("lab.json", blueprint())
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        #expect(try await reaches(app.namespace, db.address))
        // The web's Command serves its page to app, asked through `firm exec`.
        let page = await eventually(.seconds(10)) {
            let out = try? firm.run(["exec", "lab.json", "app.app", "--", "curl", "-s", "-m", "2", "http://\(web.address):8080/"])
            return out?.code == 0 && out?.stdout.contains("hello from web") == true
        }
        #expect(page)
        // firm exec ends with the command's status, and refuses what is not an app of the state.
        #expect(try firm.run(["exec", "lab.json", "app.web", "--", "/bin/sh", "-c", "exit 7"]).code == 7)
        // The state's key variables stay with firm; the rest of its environment goes with the command.
        let environment = try firm.run(["exec", "lab.json", "app.web", "--", "/usr/bin/env"],
                                       environment: ["FIRM_STATE_KEY_FALLBACK": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "FIRM_TEST_MARK": "kept"])
        #expect(environment.code == 0 && environment.stdout.contains("FIRM_TEST_MARK=kept") && !environment.stdout.contains("FIRM_STATE_KEY_FALLBACK"), "\(environment.output)")
        let unknown = try firm.run(["exec", "lab.json", "app.nope", "--", "true"])
        #expect(unknown.code == 1 && unknown.stderr.contains("app.nope is not deployed"), "\(unknown.output)")
        #expect(try firm.run(["exec", "lab.json", "app.web"]).code == 64)
        #expect(try firm.run(["plan", "lab.json", "--detailed-exitcode"]).code == 0)

        // Drift: db's namespace deleted outside firm is seen, and apply makes it again.
        _ = try runChild(Self.ip!, ["netns", "del", db.namespace])
        let drifted = try firm.run(["plan", "lab.json", "--detailed-exitcode"])
        #expect(drifted.code == 2, "\(drifted.output)")
        #expect(drifted.stdout.contains("deploy app.db"))
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        #expect(try firm.run(["plan", "lab.json", "--detailed-exitcode"]).code == 0)
        apps = try self.apps(firm)
        #expect(try namespaces().contains(apps["db"]!.namespace))

        // Drift: web's port taken off its VLAN's bridge, and its service killed.
        let port = "p" + web.namespace.suffix(8) + "-0"
        let switchNamespace = String(web.namespace.dropLast(9))
        #expect(try runChild(Self.ip!, ["-n", switchNamespace, "link", "set", port, "nomaster"]).status == 0)
        for pid in services() { kill(pid, SIGKILL) }
        #expect(await eventually(.seconds(5)) { services().isEmpty })
        let offVLAN = try firm.run(["plan", "lab.json", "--detailed-exitcode"])
        #expect(offVLAN.code == 2, "\(offVLAN.output)")
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        #expect(try await reaches(app.namespace, web.address))
        #expect(!services().isEmpty)
        #expect(try firm.run(["plan", "lab.json", "--detailed-exitcode"]).code == 0)

        // Drift: app's eth0 set down outside firm is seen as powered off, and powered on again.
        // eth0 carries app's address (its first VLAN's); the peer on that VLAN checks it.
        let eth0Peer = front.contains(IPv4Address(app.address)!) ? web.namespace : apps["db"]!.namespace
        #expect(try runChild(Self.ip!, ["-n", app.namespace, "link", "set", "eth0", "down"]).status == 0)
        #expect(try ping(from: eth0Peer, app.address) == false)
        let down = try firm.run(["plan", "lab.json", "--detailed-exitcode"])
        #expect(down.code == 2 && down.stdout.contains("power on app.app"), "\(down.output)")
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        #expect(try await reaches(eth0Peer, app.address))

        // kill -9 during an apply from nothing: the next apply converges, destroy leaves nothing.
        #expect(try firm.run(["destroy", "lab.json", "--auto-approve"]).code == 0)
        #expect(try namespaces().isEmpty)
        let (process, _, _) = try firm.start(["apply", "lab.json", "--auto-approve"])
        _ = waitUntil(.seconds(20)) { ((try? namespaces()) ?? []).count >= 2 }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let again = try firm.run(["apply", "lab.json", "--auto-approve"])
        #expect(again.code == 0, "\(again.output)")
        #expect(try firm.run(["plan", "lab.json", "--detailed-exitcode"]).code == 0)
        apps = try self.apps(firm)
        #expect(Set(try namespaces()) == Set(apps.values.map(\.namespace) + [switchNamespace]), "an orphan namespace was left")

        let destroy = try firm.run(["destroy", "lab.json", "--auto-approve"])
        #expect(destroy.code == 0, "\(destroy.output)")
        #expect(try namespaces().isEmpty, "a namespace of the sandbox is left")
        #expect(services().isEmpty, "the service outlived destroy")
    }

    @Test("firm exec on another provider type: \"not supported by provider type simulated\"")
    func execElsewhere() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Blueprints.lab())
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"], environment: Blueprints.secretEnv).code == 0)
        let out = try firm.run(["exec", "lab.json", "app.web", "--", "true"], environment: Blueprints.secretEnv)
        #expect(out.code == 1 && out.stderr.contains("exec is not supported by provider type simulated"), "\(out.output)")
    }

    /// Every link of the host's own namespace whose name carries the test's prefix or an app
    /// port's shape (the provider makes nothing there).
    func hostLinks() throws -> [String] {
        let out = try runChild(Self.ip!, ["-json", "link", "show"])
        return (try JSONReader.parse(out.stdout).plain.arrayValue ?? []).compactMap { $0["ifname"]?.stringValue }
            .filter { $0.hasPrefix(prefix) || LinuxPortShape.matches($0) }
    }

    @Test("kill -9 at random points of apply and of destroy (seeded; FIRM_LINUX_CRASH_ROUNDS, default 5: 10 kills): each next run converges, and no namespace, veth, bridge or process is left")
    func crashTorture() async throws {
        guard let firm = try labFolder() else { return }
        defer {
            cleanUp()
            firm.remove()
        }
        firm.write("lab.json", blueprint())
        let hostBefore = try hostLinks()
        try await killAndRerun(firm, "linux kill -9") { command, context in
            let made = try namespaces()
            if command == "apply" {
                let apps = try self.apps(firm)
                guard let web = apps["web"], let app = apps["app"], let db = apps["db"] else {
                    Issue.record("\(context): apps missing from the state: \(apps)")
                    return
                }
                let switchNamespace = String(web.namespace.dropLast(9))
                #expect(Set(made) == Set(apps.values.map(\.namespace) + [switchNamespace]), "\(context): an orphan namespace")
                // Every port of the switch belongs to an app of the state; one service runs.
                let keys = Set(apps.values.map { String($0.namespace.suffix(8)) })
                let ports = try runChild(Self.ip!, ["-n", switchNamespace, "-json", "link", "show"]).stdout
                let names = (try JSONReader.parse(ports).plain.arrayValue ?? []).compactMap { $0["ifname"]?.stringValue }.filter(LinuxPortShape.matches)
                #expect(names.allSatisfy { keys.contains(String($0.dropFirst().prefix(8))) } && names.count == 4, "\(context): ports \(names)")
                #expect(await eventually(.seconds(5)) { services().count == 1 }, "\(context): services \(services())")
                #expect(try await reaches(app.namespace, db.address), "\(context)")
            } else {
                #expect(made.isEmpty, "\(context): left \(made)")
                #expect(await eventually(.seconds(5)) { services().isEmpty }, "\(context): a service outlived destroy")
            }
            #expect(try hostLinks() == hostBefore, "\(context): a link in the host's namespace")
        }
    }

    /// Kills `firm apply` and `firm destroy` of lab.json with SIGKILL at a random moment
    /// (seeded: FIRM_TORTURE_SEED repeats a run), FIRM_LINUX_CRASH_ROUNDS times each (5 unless
    /// set), runs the command again to its end and expects it to converge; then `check` looks
    /// at what is left, given the command and a context for messages.
    func killAndRerun(_ firm: FirmProcess, _ label: String, check: (String, String) async throws -> Void) async throws {
        var generator = SplitMix.announced(label, variable: "FIRM_TORTURE_SEED")
        let rounds = Int(ProcessInfo.processInfo.environment["FIRM_LINUX_CRASH_ROUNDS"] ?? "") ?? 5
        for round in 0..<rounds {
            for command in ["apply", "destroy"] {
                let delay = Int.random(in: 5...400, using: &generator)
                let (process, _, _) = try firm.start([command, "lab.json", "--auto-approve"])
                // The random moment of the kill is what is tested, so this pause stays.
                try await Task.sleep(for: .milliseconds(delay))
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                let context = "round \(round), \(command) killed after \(delay) ms (seed \(generator.seed))"
                let again = try firm.run([command, "lab.json", "--auto-approve"])
                #expect(again.code == 0, "\(context): \(again.output)")
                #expect(try firm.run(["plan", "lab.json", "--detailed-exitcode"]).code == (command == "apply" ? 0 : 2), "\(context): converged")
                try await check(command, context)
            }
        }
    }

    @Test("two sandboxes of one blueprint at once: both apply together, each works within itself, no packet crosses, and destroying one leaves the other working")
    func twoSandboxes() async throws {
        guard let firm = try labFolder() else { return }
        defer {
            cleanUp()
            firm.remove()
        }
        firm.write("lab.json", blueprint(front: #""auto""#))
        let starts = try ["red", "blue"].map { try firm.start(["apply", "lab.json", "--auto-approve", "--sandbox", $0]) }
        for (process, _, _) in starts { process.waitUntilExit() }
        #expect(starts.allSatisfy { $0.0.terminationStatus == 0 })
        let red = try apps(firm, sandbox: "red"), blue = try apps(firm, sandbox: "blue")
        #expect(Set(red.values.map(\.namespace)).isDisjoint(with: blue.values.map(\.namespace)))
        #expect(Set(try namespaces()).count == 8)
        for sandbox in [red, blue] {
            #expect(try await reaches(sandbox["app"]!.namespace, sandbox["db"]!.address))
            #expect(try await reaches(sandbox["app"]!.namespace, sandbox["web"]!.address))
            #expect(try ping(from: sandbox["web"]!.namespace, sandbox["db"]!.address) == false)
        }
        // Each sandbox has VLANs of its own (a fixed VLAN is held by one live sandbox), so
        // subnets of its own, and a switch of its own: no address of one is reached from the other.
        #expect(Set(red.values.map(\.address)).isDisjoint(with: blue.values.map(\.address)), "\(red) \(blue)")
        for (from, to) in [(red, blue), (blue, red)] {
            for source in ["web", "app", "db"] {
                for target in ["web", "app", "db"] {
                    #expect(try ping(from: from[source]!.namespace, to[target]!.address) == false, "\(source) reached the other sandbox's \(target)")
                }
            }
        }

        // Destroying red leaves blue whole and working.
        #expect(try firm.run(["destroy", "lab.json", "--auto-approve", "--sandbox", "red"]).code == 0)
        #expect(Set(try namespaces()) == Set(blue.values.map(\.namespace) + [String(blue["web"]!.namespace.dropLast(9))]))
        #expect(try firm.run(["plan", "lab.json", "--detailed-exitcode", "--sandbox", "blue"]).code == 0)
        #expect(try await reaches(blue["app"]!.namespace, blue["db"]!.address))
        #expect(try firm.run(["exec", "lab.json", "app.app", "--sandbox", "blue", "--", "ping", "-c", "1", "-W", "2", blue["db"]!.address]).code == 0)
        #expect(try firm.run(["destroy", "lab.json", "--auto-approve", "--sandbox", "blue"]).code == 0)
        #expect(try namespaces().isEmpty)
    }

    @Test("firm catalog says the VLAN model, what the kernel's bridges can do (probed in a namespace removed after, and stale probes removed), and that trunk mode is refused")
    func catalog() throws {
        guard let firm = try labFolder() else { return }
        defer {
            cleanUp()
            firm.remove()
        }
        firm.write("lab.json", blueprint())
        // What the kernel answers, probed here the same way.
        let probe = "ftprobe-" + prefix
        _ = try runChild(Self.ip!, ["netns", "add", probe])
        let filtering = try runChild(Self.ip!, ["-n", probe, "link", "add", "b0", "type", "bridge", "vlan_filtering", "1"]).status == 0
        _ = try runChild(Self.ip!, ["netns", "del", probe])
        // A probe namespace left by a firm killed mid-probe (its pid is gone) is removed.
        let deadPid = (4_000_000...4_194_000).first { kill(Int32($0), 0) != 0 && errno == ESRCH }!
        let stale = "firm-probe-\(deadPid)-" + prefix.suffix(4)
        #expect(try runChild(Self.ip!, ["netns", "add", stale]).status == 0)
        defer { _ = try? runChild(Self.ip!, ["netns", "del", stale]) }
        let out = try firm.run(["catalog", "lab.json", "--json"])
        #expect(out.code == 0, "\(out.output)")
        let capabilities = try JSONReader.parse(out.stdout).plain["providers"]?["lab"]?["catalog"]?["capabilities"]
        #expect(capabilities?["vlanModel"]?.stringValue == "a bridge per VLAN (access ports, untagged)")
        #expect(capabilities?["vlanFiltering"]?.stringValue?.hasPrefix(filtering ? "available" : "unavailable") == true, "\(out.stdout)")
        #expect(capabilities?["trunk"]?.stringValue?.hasPrefix("refused") == true)
        #expect(capabilities?["addresses"]?.stringValue == "each VLAN a /28 of 10.77.0.0/24 (16 subnets)")
        let text = try firm.run(["catalog", "lab.json"])
        #expect(text.stdout.contains("vlanModel") && text.stdout.contains("a bridge per VLAN"), "\(text.output)")
        let left = try runChild(Self.ip!, ["netns", "list"]).stdout
        #expect(!left.contains("firm-probe-"), "the probe's namespace is left: \(left)")
    }

    @Test("settings and deployment paths are checked at decode time, with their JSON paths")
    func validation() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        let bad = blueprint()
            .replacingOccurrences(of: "\"bridge\": \"\(prefix)\"", with: "\"bridge\": \"much-too-long\"")
            .replacingOccurrences(of: "\"cidr\": \"10.77.0.0/24\"", with: "\"cidr\": \"10.77.0.1/24\"")
            .replacingOccurrences(of: "\"deploymentType\": \"netns\"}}", with: "\"deploymentType\": \"vm\"}}")
        firm.write("lab.json", bad)
        let out = try firm.run(["validate", "lab.json"])
        #expect(out.code != 0)
        #expect(out.output.contains("providers.lab.settings.bridge"), "\(out.output)")
        #expect(out.output.contains("providers.lab.settings.cidr"), "\(out.output)")
        #expect(out.output.contains("apps.app.deploymentPath.deploymentType"), "\(out.output)")
        #expect(try namespaces().isEmpty)
    }

    @Test("without CAP_NET_ADMIN: a clear error, and nothing is made")
    func withoutNetAdmin() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            Issue.record("setpriv (util-linux) is needed to drop CAP_NET_ADMIN")
            return
        }
        let firm = FirmProcess()
        defer {
            cleanUp()
            firm.remove()
        }
        firm.write("lab.json", blueprint())
        let out = try sh("cd '\(firm.directory)' && /usr/bin/setpriv --inh-caps=-net_admin --ambient-caps=-net_admin --bounding-set=-net_admin '\(FirmProcess.binary)' apply lab.json --auto-approve")
        #expect(out.status != 0)
        #expect(out.stderr.contains("lacks CAP_NET_ADMIN"), "\(out.stdout)\(out.stderr)")
        #expect(try namespaces().isEmpty)
    }
}

/// The shape of an app's port: `p`, 8 hex digits, `-`, an index.
enum LinuxPortShape {
    static func matches(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        return bytes.count >= 11 && bytes.count <= 15 && bytes[0] == UInt8(ascii: "p") && bytes[9] == UInt8(ascii: "-")
            && bytes[1..<9].allSatisfy { (48...57).contains($0) || (97...102).contains($0) } && bytes[10...].allSatisfy { (48...57).contains($0) }
    }
}
