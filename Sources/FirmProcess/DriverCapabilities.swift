import FirmBase
import FirmModel

/// Reads the `capabilities` a driver declares in its `initialize` answer:
/// `{"vmNames": "given" | "own", "cleanupSubnets": bool, "refreshIPAddresses": bool}`. Every key
/// may be left out; a driver that says nothing gets given names, no subnet cleanup (a firm
/// addition a driver must opt in to), and refreshIP answered with the addresses.
enum DriverCapabilities {
    struct Problem: Error {
        var message: String
    }

    static let keys = ["vmNames", "cleanupSubnets", "refreshIPAddresses"]

    static func read(_ hello: JSON) throws(Problem) -> ProviderCapabilities {
        let operations = hello["operations"]?.arrayValue?.compactMap(\.stringValue)
        var result = ProviderCapabilities(vmNames: .given, cleanupSubnets: false, refreshIPAddresses: true,
                                          inventory: operations?.contains(ProviderOperation.inventory.rawValue) ?? true)
        guard let json = hello["capabilities"], json != .null else { return result }
        guard let object = json.objectValue else { throw Problem(message: "\"capabilities\" must be an object, such as {\"vmNames\": \"own\"}") }
        for (key, value) in object.members {
            switch key {
            case "vmNames":
                guard let text = value.stringValue, let naming = ProviderCapabilities.Naming(rawValue: text) else {
                    throw Problem(message: "capabilities.vmNames must be \"given\" or \"own\", not \(value.compactText)")
                }
                result.vmNames = naming
            case "cleanupSubnets", "refreshIPAddresses":
                guard let flag = value.boolValue else { throw Problem(message: "capabilities.\(key) must be true or false, not \(value.compactText)") }
                if key == "cleanupSubnets" { result.cleanupSubnets = flag } else { result.refreshIPAddresses = flag }
            default:
                throw Problem(message: "capabilities.\(key) is not a capability firm knows (\(keys.joined(separator: ", ")))")
            }
        }
        return result
    }
}
