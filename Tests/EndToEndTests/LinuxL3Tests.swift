import Foundation
import Testing
@testable import FirmBase
import FirmTestSupport

/// The `linux` provider at L3, through the built `firm`, on this machine's kernel: a router
/// namespace with a bridge per subnet, a public subnet routed from the host, a private one
/// behind NAT where nftables is installed. Checked with ping from the apps and from the host,
/// and with `ip -json` for what is left. Needs root and iproute2 (scripts/test installs them,
/// with nftables). Names carry a prefix unique to the run; what the test made is removed at its
/// end, passed or failed.
@Suite("End to end: the linux provider at L3", .serialized)
struct LinuxL3Tests {
    let lab = LinuxProviderTests()
    var prefix: String { lab.prefix }
    /// Subnets no host route of this machine uses (checked before the test runs).
    static let dmz = "10.213.1.0/24", inside = "10.213.2.0/24"

    /// The l3-sandbox shape: bastion on a public dmz, api and db on a private subnet.
    func blueprint() -> String {
        """
        {
          "version": 1,
          "name": "l3-\(prefix)",
          "providers": {
            "lab": {"type": "linux", "connectivity": "L3", "settings": {"cidr": "10.213.0.0/16", "bridge": "\(prefix)"}}
          },
          "apps": {
            "bastion": {"deploymentPath": {"provider": "lab", "deploymentType": "netns"}},
            "api": {"deploymentPath": {"provider": "lab", "deploymentType": "netns"}},
            "db": {"deploymentPath": {"provider": "lab", "deploymentType": "netns"}}
          },
          "networks": {
            "dmz": {"provider": "lab", "subnet": "\(Self.dmz)", "public": true},
            "private": {"provider": "lab", "subnet": "\(Self.inside)", "public": false}
          },
          "connectors": [
            {"from": "bastion", "to": "dmz"},
            {"from": "api", "to": "private"},
            {"from": "db", "to": "private"}
          ]
        }
        """
    }

    /// The host's links whose names start with the test's prefix.
    func hostLinks() throws -> [(name: String, addresses: [String])] {
        let out = try runChild(LinuxProviderTests.ip!, ["-json", "addr", "show"])
        return (try JSONReader.parse(out.stdout).plain.arrayValue ?? []).compactMap { link in
            guard let name = link["ifname"]?.stringValue, name.hasPrefix(prefix) else { return nil }
            return (name, (link["addr_info"]?.arrayValue ?? []).compactMap { $0["local"]?.stringValue })
        }
    }

    /// The links of `namespace`: name, alias and MAC.
    func links(in namespace: String) throws -> [(name: String, alias: String?, mac: String?)] {
        let out = try runChild(LinuxProviderTests.ip!, ["-n", namespace, "-json", "link", "show"])
        return (try JSONReader.parse(out.stdout).plain.arrayValue ?? []).compactMap { link in
            link["ifname"]?.stringValue.map { ($0, link["ifalias"]?.stringValue, link["address"]?.stringValue) }
        }
    }

    /// The host's routes to `cidr`.
    func hostRoutes(_ cidr: String) throws -> [String] {
        let out = try runChild(LinuxProviderTests.ip!, ["-json", "route", "show", "exact", cidr])
        return (try JSONReader.parse(out.stdout).plain.arrayValue ?? []).compactMap { $0["dev"]?.stringValue }
    }

    func hostPing(_ address: String) throws -> Bool {
        try runChild("/bin/sh", ["-c", "ping -c 1 -W 1 \(address)"]).status == 0
    }

    static let nft = ["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test("l3-sandbox on linux: a subnet's apps reach each other, private reaches public through the router, the host reaches only the public subnet, private reaches the host through NAT; drift repaired; destroy leaves no namespace, link or route, even when the router was deleted by hand")
    func l3() async throws {
        guard let firm = try lab.labFolder() else { return }
        defer {
            lab.cleanUp()
            for link in (try? hostLinks()) ?? [] { _ = try? runChild(LinuxProviderTests.ip!, ["link", "del", link.name]) }
            firm.remove()
        }
        try #require(try hostRoutes(Self.dmz).isEmpty && hostRoutes(Self.inside).isEmpty, "the host routes the test's subnets already")
        firm.write("lab.json", blueprint())
        let apply = try firm.run(["apply", "lab.json", "--auto-approve"])
        #expect(apply.code == 0, "\(apply.output)")
        #expect(apply.stdout.contains("prepare"), "\(apply.output)")
        let apps = try lab.apps(firm)
        let (bastion, api, db) = (try #require(apps["bastion"]), try #require(apps["api"]), try #require(apps["db"]))
        #expect(CIDR(Self.dmz)!.contains(IPv4Address(bastion.address) ?? IPv4Address(0)), "\(bastion)")
        #expect(CIDR(Self.inside)!.contains(IPv4Address(api.address) ?? IPv4Address(0)) && CIDR(Self.inside)!.contains(IPv4Address(db.address) ?? IPv4Address(0)), "\(api) \(db)")
        let router = String(api.namespace.dropLast(9))
        #expect(Set(try lab.namespaces()) == [bastion.namespace, api.namespace, db.namespace, router])

        // Within a subnet, across the router, both ways.
        #expect(try await lab.reaches(api.namespace, db.address))
        #expect(try await lab.reaches(api.namespace, bastion.address))
        #expect(try await lab.reaches(bastion.namespace, db.address))
        // The host routes the public subnet through the uplink, and not the private one.
        let uplink = try #require(try hostLinks().first, "the uplink's host end")
        #expect(try hostRoutes(Self.dmz) == [uplink.name] && hostRoutes(Self.inside).isEmpty)
        #expect(await eventually(.seconds(10)) { (try? hostPing(bastion.address)) == true }, "the host reaches the public subnet")
        #expect(try hostPing(api.address) == false, "the host has no route to the private subnet")
        // A private app reaches the host through the router's NAT (the host has no route back
        // to it otherwise), where nftables is installed.
        let hostEnd = try #require(uplink.addresses.first)
        if Self.nft != nil {
            #expect(try await lab.reaches(api.namespace, hostEnd), "private to host, masqueraded")
        } else {
            Issue.record("nftables is not installed (scripts/test installs it): the private subnet's NAT was not tested")
        }
        let catalog = try firm.run(["catalog", "lab.json"])
        #expect(catalog.code == 0 && catalog.stdout.contains("l3Model") && catalog.stdout.contains(Self.nft == nil ? "unavailable" : "masqueraded"), "\(catalog.output)")
        #expect(try firm.run(["plan", "lab.json", "--detailed-exitcode"]).code == 0)

        // Drift: db's link set down outside firm, while the router believes db's address is at
        // another MAC: db's gratuitous ARP when firm powers it on again must correct that, with
        // no packet from the router to db.
        let privateBridge = try #require(try links(in: router).first { $0.alias?.contains(":private") == true }?.name)
        let dbMAC = try #require(try links(in: db.namespace).first { $0.name == "eth0" }?.mac)
        #expect(try runChild(LinuxProviderTests.ip!, ["-n", db.namespace, "link", "set", "eth0", "down"]).status == 0)
        #expect(try runChild(LinuxProviderTests.ip!, ["-n", router, "neigh", "replace", db.address, "lladdr", "02:00:00:00:00:01", "dev", privateBridge, "nud", "stale"]).status == 0)
        // The kernel lets an ARP override an entry only after its locktime (1 s) has passed.
        try await Task.sleep(for: .milliseconds(1500))
        let down = try firm.run(["plan", "lab.json", "--detailed-exitcode"])
        #expect(down.code == 2 && down.stdout.contains("power on app.db"), "\(down.output)")
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        let learnt = await eventually(.seconds(5)) {
            let out = try? runChild(LinuxProviderTests.ip!, ["-n", router, "-json", "neigh", "show", db.address, "dev", privateBridge])
            return out.flatMap { try? JSONReader.parse($0.stdout).plain.arrayValue?.first?["lladdr"]?.stringValue } == dbMAC
        }
        #expect(learnt, "the router learnt db's MAC from its gratuitous ARP")

        // Drift: db's default route deleted outside firm: db is seen as not powered on (as after
        // a power on killed before its route), and power on adds the route again.
        #expect(try runChild(LinuxProviderTests.ip!, ["-n", db.namespace, "route", "del", "default"]).status == 0)
        #expect(try lab.ping(from: db.namespace, bastion.address) == false)
        let unrouted = try firm.run(["plan", "lab.json", "--detailed-exitcode"])
        #expect(unrouted.code == 2 && unrouted.stdout.contains("power on app.db"), "\(unrouted.output)")
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        #expect(try await lab.reaches(db.namespace, bastion.address))

        // Drift: api's port taken out of its subnet's bridge: api is replaced.
        let port = "p" + api.namespace.suffix(8) + "-0"
        #expect(try runChild(LinuxProviderTests.ip!, ["-n", router, "link", "set", port, "nomaster"]).status == 0)
        let drifted = try firm.run(["plan", "lab.json", "--detailed-exitcode"])
        #expect(drifted.code == 2 && drifted.stdout.contains("replace app.api"), "\(drifted.output)")
        let repair = try firm.run(["apply", "lab.json", "--auto-approve"])
        #expect(repair.code == 0, "\(repair.output)")
        let after = try lab.apps(firm)
        #expect(try await lab.reaches(after["api"]!.namespace, after["db"]!.address))
        #expect(try await lab.reaches(after["db"]!.namespace, bastion.address), "db has its default route again")
        #expect(try firm.run(["plan", "lab.json", "--detailed-exitcode"]).code == 0)

        // The router deleted by hand (and with it every app's link): destroy still ends clean.
        _ = try runChild(LinuxProviderTests.ip!, ["netns", "del", router])
        let destroy = try firm.run(["destroy", "lab.json", "--auto-approve"])
        #expect(destroy.code == 0, "\(destroy.output)")
        #expect(try lab.namespaces().isEmpty)
        #expect(try hostLinks().isEmpty && hostRoutes(Self.dmz).isEmpty)
    }

    @Test("a second apply and destroy of an L3 sandbox find everything in place; destroy twice is no error")
    func idempotent() async throws {
        guard let firm = try lab.labFolder() else { return }
        defer {
            lab.cleanUp()
            for link in (try? hostLinks()) ?? [] { _ = try? runChild(LinuxProviderTests.ip!, ["link", "del", link.name]) }
            firm.remove()
        }
        firm.write("lab.json", blueprint().replacingOccurrences(of: "10.213.", with: "10.214."))
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        #expect(try firm.run(["plan", "lab.json", "--detailed-exitcode"]).code == 0)
        let destroy = try firm.run(["destroy", "lab.json", "--auto-approve"])
        #expect(destroy.code == 0, "\(destroy.output)")
        #expect(try lab.namespaces().isEmpty && hostLinks().isEmpty)
        #expect(try firm.run(["destroy", "lab.json", "--auto-approve"]).code == 0)
    }

    @Test("kill -9 at random points of an L3 apply and destroy (seeded; FIRM_LINUX_CRASH_ROUNDS, default 5: 10 kills): each next run converges, and no namespace, host link or host route is left")
    func crashTorture() async throws {
        guard let firm = try lab.labFolder() else { return }
        defer {
            lab.cleanUp()
            for link in (try? hostLinks()) ?? [] { _ = try? runChild(LinuxProviderTests.ip!, ["link", "del", link.name]) }
            firm.remove()
        }
        let (dmz, inside) = ("10.215.1.0/24", "10.215.2.0/24")
        firm.write("lab.json", blueprint().replacingOccurrences(of: Self.dmz, with: dmz).replacingOccurrences(of: Self.inside, with: inside)
            .replacingOccurrences(of: "10.213.0.0/16", with: "10.215.0.0/16"))
        try await lab.killAndRerun(firm, "linux L3 kill -9") { command, context in
            let made = try lab.namespaces()
            if command == "apply" {
                let apps = try lab.apps(firm)
                guard let api = apps["api"], let db = apps["db"], let bastion = apps["bastion"] else {
                    Issue.record("\(context): apps missing from the state: \(apps)")
                    return
                }
                let router = String(api.namespace.dropLast(9))
                #expect(Set(made) == Set(apps.values.map(\.namespace) + [router]), "\(context): an orphan namespace")
                #expect(try hostLinks().count == 1 && hostRoutes(dmz).count == 1, "\(context): one uplink, one route")
                #expect(try await lab.reaches(api.namespace, db.address), "\(context)")
                #expect(try await lab.reaches(db.namespace, bastion.address), "\(context)")
            } else {
                #expect(try made.isEmpty && hostLinks().isEmpty && hostRoutes(dmz).isEmpty, "\(context): left \(made)")
            }
        }
    }
}
