import FirmBase

/// Why an app can't deploy from the snapshot it names, or a snapshot can't be made or deleted.
public enum SnapshotError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No snapshot of that name in the sandbox's state; `known` for the did-you-mean.
    case unknown(snapshot: String, app: String, known: [String])
    /// Recorded, but its save has not been settled (a `firm snapshot` was interrupted).
    case notAvailable(snapshot: String, app: String)
    /// Saved from an app of another provider.
    case otherProvider(snapshot: String, app: String, provider: String, its: String)
    /// A `{"snapshot": NAME}` reached a provider call unreplaced.
    case unresolved(snapshot: String, neededBy: String)

    public var description: String {
        switch self {
        case .unknown(let name, let app, let known):
            let hint = Spelling.closest(to: name, among: known).map { " (did you mean \($0)?)" }
                ?? (known.isEmpty ? "; the sandbox has no snapshots (make one with firm snapshot BLUEPRINT app.NAME --name SNAP)" : "; it has: " + known.joined(separator: ", "))
            return "apps.\(app).deploymentPath.attributes.image: unknown snapshot \(quoted(name))\(hint)"
        case .notAvailable(let name, let app):
            return "apps.\(app).deploymentPath.attributes.image: snapshot \(quoted(name)) is still being saved (an interrupted firm snapshot); run firm snapshot list BLUEPRINT to settle it"
        case .otherProvider(let name, let app, let provider, let its):
            return "apps.\(app).deploymentPath.attributes.image: snapshot \(quoted(name)) was saved on provider \(quoted(its)), not \(quoted(provider))"
        case .unresolved(let name, let needed):
            return "\(needed) names snapshot \(quoted(name)), which was not resolved before the provider call"
        }
    }
}
