import Foundation
import Testing
@testable import FirmBase
@testable import FirmModel

/// A provider's filter is never trusted for ownership: what an inventory or a search by name
/// returns is a sandbox's only when the VM's own tag names that sandbox.
@Suite("Providers: ownership by the VM's own tag")
struct OwnershipTests {
    /// Answers as an endpoint that ignores the tag filter would: every VM it has.
    struct Careless: StubProvider {
        let name = "careless"
        var limits: ProviderLimits { ProviderLimits() }
        static let vms = [
            Observation(vmName: "web__1", vmUuid: "i-1", exists: true, power: .on, addresses: Addresses(privateAddress: ""), appName: "web", sandbox: "thief"),
            Observation(vmName: "web__2", vmUuid: "i-2", exists: true, power: .on, addresses: Addresses(privateAddress: ""), appName: "web", sandbox: "victim"),
            Observation(vmName: "db__3", vmUuid: "i-3", exists: true, power: .on, addresses: Addresses(privateAddress: ""), appName: "", sandbox: ""),
        ]
        func inventory(sandbox: String) async throws -> [Observation] { Self.vms }
        func findByName(_ vmName: String) async throws -> Observation? { Self.vms.first { $0.vmName == vmName } }
    }

    @Test("an inventory keeps only the VMs tagged with the sandbox asked about")
    func inventory() async throws {
        let checked = CheckedProvider(Careless(), secrets: Secrets(), sandbox: "thief")
        #expect(try await checked.inventory(sandbox: "thief").map(\.vmUuid) == ["i-1"])
        #expect(try await checked.inventory(sandbox: "victim").map(\.vmUuid) == ["i-2"])
        #expect(try await checked.inventory(sandbox: "nobody").isEmpty)
    }

    @Test("a search by name does not find another sandbox's VM; an untagged one is left to the caller")
    func findByName() async throws {
        let checked = CheckedProvider(Careless(), secrets: Secrets(), sandbox: "thief")
        #expect(try await checked.findByName("web__1")?.vmUuid == "i-1")
        #expect(try await checked.findByName("web__2") == nil)
        #expect(try await checked.findByName("db__3")?.vmUuid == "i-3")
    }
}
