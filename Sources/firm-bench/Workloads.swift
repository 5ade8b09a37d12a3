import Foundation
import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmSimulated
import FirmEC2
import FirmLocalState
import FirmEtcdState

/// Generated blueprints and states of any size, written as users and firm would write them.
enum Workloads {
    /// A blueprint of `apps` apps on one simulated provider, as JSON text.
    /// With `varied`, every app's attributes are its own (CPU, RAM and User differ from one app to
    /// the next), so nothing repeats for a reader to reuse.
    static func blueprint(apps: Int, latency: String = "{}", cidr: String = "10.0.0.0/8", varied: Bool = false) -> String {
        var out = """
            {"version": 1, "name": "bench", "providers": {"sim": {"type": "simulated", "connectivity": "L2",
             "settings": {"cidr": "\(cidr)", "latency": \(latency)}}},
             "apps": {
            """
        for i in 0..<apps {
            if i > 0 { out += ",\n" }
            let (cpu, ram, user) = varied ? (String(1 + i % 8), String(1024 * (1 + i % 64)), "admin\(i)") : ("2", "4096", "admin")
            out += #"  "app\#(i)": {"deploymentPath": {"provider": "sim", "deploymentType": "small", "attributes": {"CPU": "\#(cpu)", "RAM": "\#(ram)", "Image": "sim-ubuntu-24.04"}}, "attributes": {"User": "\#(user)", "Password": {"env": "BENCH_PW"}}, "power": "\#(i % 10 == 0 ? "off" : "on")"}"#
        }
        return out + "\n}}\n"
    }

    /// A state in which every app is deployed; every 10th has another deployment type (a
    /// replace) and every 7th is powered off (a power change), so the diff has work to do.
    static func state(apps: Int) -> State {
        var state = State(lineage: "00000000-0000-0000-0000-000000000000", serial: apps, blueprint: "bench")
        for i in 0..<apps {
            let path = DeploymentPath(provider: "sim", deploymentType: i % 10 == 3 ? "medium" : "small",
                                      attributes: ["CPU": .literal("2"), "RAM": .literal("4096"), "Image": .literal("sim-ubuntu-24.04")])
            state.apps["app\(i)"] = AppState(provider: "sim", deploymentPath: path, attributes: ["User": .literal("admin"), "Password": .env("BENCH_PW")],
                                             vmName: "app\(i)__\(String(i, radix: 16))", vmUuid: UUID().uuidString.lowercased(),
                                             address: "10.\(i / 65536).\(i / 256 % 256).\(i % 256)", power: i % 7 == 0 || i % 10 == 0 ? .off : .on,
                                             deployedAttributes: ["User": "admin"], additionalData: ["sandbox": "bench"])
        }
        return state
    }
}
