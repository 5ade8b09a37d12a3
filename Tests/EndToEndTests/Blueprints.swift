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

/// Blueprints for the end-to-end tests, as text, the way users write them.
enum Blueprints {
    static func lab(webPower: String = "on", dbType: String = "postgres-15", failures: String = "{}", latency: String = "{}", extraApps: String = "") -> String {
        """
        {
          "version": 1,
          "name": "lab",
          "providers": {
            "sim": {"type": "simulated", "connectivity": "L2",
                    "settings": {"cidr": "10.9.0.0/24", "failures": \(failures), "latency": \(latency)}}
          },
          "apps": {
            "web": {"deploymentPath": {"provider": "sim", "deploymentType": "small"}, "power": "\(webPower)"},
            "api": {"deploymentPath": {"provider": "sim", "deploymentType": "small"}, "attributes": {"User": "svc"}},
            "db": {"deploymentPath": {"provider": "sim", "deploymentType": "\(dbType)", "attributes": {"Disk": "20"}},
                   "attributes": {"Password": {"env": "LAB_DB_PASSWORD"}}, "waitForIP": false}\(extraApps)
          }
        }
        """
    }

    static let secretEnv = ["LAB_DB_PASSWORD": "hunter2-very-secret"]
}
