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

/// The VM lifecycle with nothing behind it, for test providers that override only what they
/// exercise. It has no connectivity role of its own.
protocol StubProvider: CloudProvider {}

extension StubProvider {
    func validate() async throws {}
    func deploy(_ request: DeployRequest) async throws -> DeployAppResult { throw ProviderError(provider: "stub", operation: "deploy", message: "no deploy in this stub") }
    func powerOn(_ app: DeployedApp) async throws {}
    func powerOff(_ app: DeployedApp) async throws {}
    func refreshIP(_ app: DeployedApp) async throws -> Addresses { Addresses(privateAddress: "") }
    func delete(_ app: DeployedApp) async throws {}
    func findByName(_ vmName: String) async throws -> Observation? { nil }
    func observe(_ apps: [DeployedApp]) async throws -> [Observation] { [] }
    func inventory(sandbox: String) async throws -> [Observation] { [] }
}
