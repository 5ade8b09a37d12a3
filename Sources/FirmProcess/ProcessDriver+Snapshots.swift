import FirmBase
import FirmModel

/// The optional saved-app methods (docs/drivers.md): `saveApp` and `deleteSavedApp` in
/// CloudShell's SaveApp and DeleteSavedApp shapes, and `findSavedApp`, each asked only when the
/// driver lists it in its `operations`.
extension ProcessDriver {
    func lists(_ method: String) async throws -> Bool {
        try await connection.started()["operations"]?.arrayValue?.contains(.string(method)) == true
    }

    public func saveApp(_ request: SaveAppRequest) async throws -> SaveAppResult {
        guard try await lists("saveApp") else { throw noSnapshots("saveApp") }
        let answer = try await connection.call(.saveApp, CloudShellShapes.saveRequest(request, provider: name))
        guard let result = CloudShellShapes.actionResults(answer)?.first(where: { $0["actionId"]?.stringValue == request.actionId }) else {
            throw await shapeError("saveApp", "no SaveApp result for actionId \(request.actionId)", answer)
        }
        guard result["success"]?.boolValue ?? true else {
            throw await connection.error("saveApp", result["errorMessage"]?.stringValue ?? "success is false")
        }
        guard let saved = CloudShellShapes.saveResult(result) else {
            throw await shapeError("saveApp", "a SaveAppResult has artifacts [{artifactRef, artifactName}] and savedEntityAttributes [{attributeName, attributeValue}]", result)
        }
        return saved
    }

    /// What the driver's `findSavedApp` answers (`{"found": SaveAppResult or null}`); a driver
    /// without it is taken to have made nothing: its interrupted saves can't be recovered.
    public func findSavedApp(snapshot: String, sandbox: String) async throws -> SaveAppResult? {
        guard try await lists("findSavedApp") else { return nil }
        let answer = try await connection.call("findSavedApp", ["sandbox": .string(sandbox), "snapshot": .string(snapshot)])
        guard let found = answer["found"] else { throw await shapeError("findSavedApp", "expected {\"found\": a SaveAppResult or null}", answer) }
        if found == .null { return nil }
        guard let saved = CloudShellShapes.saveResult(found) else {
            throw await shapeError("findSavedApp", "a SaveAppResult has artifacts [{artifactRef, artifactName}] and savedEntityAttributes [{attributeName, attributeValue}]", found)
        }
        return saved
    }

    public func deleteSavedApp(_ request: DeleteSavedAppRequest) async throws {
        guard try await lists("deleteSavedApp") else { throw noSnapshots("deleteSavedApp") }
        let answer = try await connection.call(.deleteSavedApp, CloudShellShapes.deleteSavedRequest(request))
        if let result = CloudShellShapes.actionResults(answer)?.first(where: { $0["actionId"]?.stringValue == request.actionId }),
            result["success"]?.boolValue == false {
            throw await connection.error("deleteSavedApp", result["errorMessage"]?.stringValue ?? "success is false")
        }
    }
}
