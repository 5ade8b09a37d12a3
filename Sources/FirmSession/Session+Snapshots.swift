import FirmBase
import FirmModel
import FirmExecution

/// Why a snapshot command or a plan refused.
public struct SnapshotRefusal: Error, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    /// Apps naming snapshots they can't deploy from, one line each.
    public init(problems: [SnapshotError]) {
        message = problems.map(\.description).joined(separator: "\n")
            + "\n\(problems.count) app\(problems.count == 1 ? " names a snapshot it" : "s name snapshots they") can't deploy from; nothing was deployed (see firm snapshot list)."
    }

    public var description: String { message }
}

/// Saved apps (docs/snapshots.md): `firm snapshot` and the check of the apps that deploy from
/// them. Each snapshot is recorded `saving` before its provider is asked, and `available` with
/// its artifacts after; a save that was interrupted is settled by the next snapshot command,
/// which asks the provider for what it made (by its tags) and never makes a second.
extension Session {
    /// The apps of the blueprint whose `"image": {"snapshot": NAME}` names no snapshot of
    /// `state` that they can deploy from, with a did-you-mean.
    public func snapshotProblems(in state: State) -> [SnapshotError] {
        blueprint.apps.keys.sorted().compactMap { app -> SnapshotError? in
            let path = blueprint.apps[app]!.deploymentPath
            guard path.snapshot != nil else { return nil }
            do throws(SnapshotError) {
                _ = try SnapshotRecord.restoring(path.attributes, app: app, provider: path.provider, snapshots: state.snapshots)
                return nil
            } catch {
                return error
            }
        }
    }

    /// Refuses a plan whose apps name snapshots they can't deploy from.
    public func checkSnapshots(_ state: State) throws(SnapshotRefusal) {
        let problems = snapshotProblems(in: state)
        if !problems.isEmpty { throw SnapshotRefusal(problems: problems) }
    }

    func snapshotProvider(_ name: String, for snapshot: String) throws(SnapshotRefusal) -> any CloudProvider {
        guard let provider = providers[name] else {
            throw SnapshotRefusal("snapshot \(quoted(snapshot)) was saved on provider \(quoted(name)), which the blueprint no longer has")
        }
        return provider
    }

    /// Settles every snapshot recorded `saving`: what its provider made is recorded, and a
    /// record whose provider made nothing is dropped. Returns a line per snapshot settled. One
    /// whose provider can't tell what it made stays `saving`, with a line that says so: it
    /// must not keep the command (`firm snapshot delete` of that very snapshot, say) from running.
    public func settleSnapshots(_ recorder: StateRecorder) async throws -> [String] {
        var notes: [String] = []
        for (name, record) in recorder.snapshots.sorted(by: { $0.key < $1.key }) where record.status == .saving {
            let found: SaveAppResult?
            do {
                let provider = try snapshotProvider(record.provider, for: name)
                found = try await RetryPolicy(provider).run({ _ in try await provider.findSavedApp(snapshot: name, sandbox: sandbox) })
            } catch {
                notes.append("snapshot \(name): whether an interrupted save made anything could not be told (\(error)); it stays recorded as being saved: the next snapshot command asks again, and firm snapshot delete \(name) removes it")
                continue
            }
            if let found {
                try await recorder.record(.putSnapshot(name, available(record, found)))
                notes.append("snapshot \(name): an interrupted save had made \(Self.describe(found.artifacts)); recorded it")
            } else {
                try await recorder.record(.removeSnapshot(name))
                notes.append("snapshot \(name): an interrupted save had made nothing; forgot it")
            }
        }
        return notes
    }

    /// Saves `app` as snapshot `name`: recorded `saving`, durably, before the provider's
    /// saveApp; recorded `available` with its artifacts after.
    public func saveSnapshot(app: String, as name: String, recorder: StateRecorder) async throws -> SnapshotRecord {
        let state = recorder.state
        if let existing = state.snapshots[name] {
            throw SnapshotRefusal("snapshot \(quoted(name)) already exists (saved from app.\(existing.app) at \(existing.created)); delete it first, or choose another name")
        }
        guard let deployed = state.apps[app] else {
            let hint = Spelling.closest(to: app, among: state.apps.keys.sorted()).map { " (did you mean app.\($0)?)" } ?? ""
            throw SnapshotRefusal("app.\(app) is not deployed in sandbox \(sandbox)\(hint): only a deployed app can be saved")
        }
        let provider = try snapshotProvider(deployed.provider, for: name)
        var record = SnapshotRecord(app: app, provider: deployed.provider, deploymentType: deployed.deploymentPath.deploymentType,
                                    vmName: deployed.vmName, vmUuid: deployed.vmUuid, created: try SandboxClock.now())
        try await recorder.record(.putSnapshot(name, record))
        let request = SaveAppRequest(actionId: UUIDText.random(), snapshot: name, sandbox: sandbox, app: deployed.deployedApp(app, environment: .process),
                                     deploymentType: deployed.deploymentPath.deploymentType)
        let result: SaveAppResult
        do {
            result = try await RetryPolicy(provider).run { attempt in
                // A try that failed may still have made it: take that rather than make another.
                if attempt > 1, let found = try await provider.findSavedApp(snapshot: name, sandbox: sandbox) { return found }
                return try await provider.saveApp(request)
            }
        } catch let failure {
            // Whether the provider made something anyway is asked; if that can't be told, the
            // record stays `saving` for the next snapshot command to settle.
            let found: SaveAppResult?
            do {
                found = isUnsupported(failure) ? nil : try await provider.findSavedApp(snapshot: name, sandbox: sandbox)
            } catch {
                throw SnapshotRefusal("\(failure)\nWhether the provider made snapshot \(quoted(name)) could not be told; it stays recorded as being saved, and the next firm snapshot command settles it.")
            }
            if let found {
                record = available(record, found)
                try await recorder.record(.putSnapshot(name, record))
                return record
            }
            try await recorder.record(.removeSnapshot(name))
            throw failure
        }
        record = available(record, result)
        try await recorder.record(.putSnapshot(name, record))
        return record
    }

    /// Deletes snapshot `name` (its provider's DeleteSavedApp, then the record); refused while
    /// an app of the state or the blueprint deploys from it.
    public func deleteSnapshot(_ name: String, recorder: StateRecorder) async throws -> SnapshotRecord {
        let state = recorder.state
        guard let record = state.snapshots[name] else {
            let known = state.snapshots.keys.sorted()
            let hint = Spelling.closest(to: name, among: known).map { " (did you mean \($0)?)" } ?? (known.isEmpty ? "; the sandbox has none" : "; it has: " + known.joined(separator: ", "))
            throw SnapshotRefusal("sandbox \(sandbox) has no snapshot \(quoted(name))\(hint)")
        }
        let users = Set(state.apps(restoringFrom: name) + blueprint.apps.keys.filter { blueprint.apps[$0]!.deploymentPath.snapshot == name }).sorted()
        guard users.isEmpty else {
            throw SnapshotRefusal("snapshot \(quoted(name)) is still deployed from by \(users.map { "app.\($0)" }.joined(separator: ", ")) (\"image\": {\"snapshot\": \(quoted(name))}); change or remove \(users.count == 1 ? "that app" : "those apps") first")
        }
        let provider = try snapshotProvider(record.provider, for: name)
        let request = DeleteSavedAppRequest(actionId: UUIDText.random(), snapshot: name, sandbox: sandbox, artifacts: record.artifacts)
        try await RetryPolicy(provider).run { _ in try await provider.deleteSavedApp(request) }
        try await recorder.record(.removeSnapshot(name))
        return record
    }

    private func available(_ record: SnapshotRecord, _ result: SaveAppResult) -> SnapshotRecord {
        var record = record
        record.status = .available
        record.artifacts = result.artifacts
        record.restore = result.savedEntityAttributes
        return record
    }

    private func isUnsupported(_ error: any Error) -> Bool { (error as? ProviderError)?.code == "NotSupported" }

    /// `image ami-1, snapshot snap-2`.
    public static func describe(_ artifacts: [String: String]) -> String {
        artifacts.isEmpty ? "nothing" : artifacts.keys.sorted().map { "\($0) \(artifacts[$0]!)" }.joined(separator: ", ")
    }
}
