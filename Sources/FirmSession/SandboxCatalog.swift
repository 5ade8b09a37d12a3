import Foundation
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution

/// The sandboxes a state location holds: a folder's `<sandbox>.state.json` files, or the
/// sandboxes under an etcd prefix.
public enum SandboxCatalog {
    /// One sandbox as its state records it.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var blueprint: String
        public var apps: [String]
        public var created: String?
        public var lastApplied: String?
        public var expires: String?
        /// active, expired, failed, empty (destroyed, or never applied), or unreadable.
        public var status: String
        public var location: String
        /// Why the state could not be read (status unreadable).
        public var problem: String?

        public var json: JSON {
            var o = JSONObject([("name", .string(name)), ("blueprint", .string(blueprint)), ("apps", .array(apps.map(JSON.string))),
                                ("status", .string(status)), ("state", .string(location))])
            o["created"] = created.map(JSON.string) ?? .null
            o["lastApplied"] = lastApplied.map(JSON.string) ?? .null
            o["expires"] = expires.map(JSON.string) ?? .null
            if let problem { o["problem"] = .string(problem) }
            return .object(o)
        }
    }

    /// Every sandbox stored at `location` (a state folder, or an etcd URL's prefix), by name,
    /// as of `now`. A state that can't be read is listed as unreadable, with why, and one sealed
    /// with a key that is not set as encrypted; the others are still listed.
    public static func list(_ location: String, kind: any StateBackendKind, options: StateOptions, now: String) async throws -> [Entry] {
        await list(try await kind.sandboxes(at: location, options: options), now: now)
    }

    /// The entries of the states of `found`, by name.
    static func list(_ found: [(name: String, backend: any StateBackend)], now: String) async -> [Entry] {
        var entries: [Entry] = []
        for (name, backend) in found {
            do {
                let state = try await backend.load(blueprint: nil, writer: false).state
                let holds = !state.apps.isEmpty || !state.infra.isEmpty || !state.intents.isEmpty || !state.snapshots.isEmpty
                let record = state.sandbox
                entries.append(Entry(name: name, blueprint: state.blueprint, apps: state.apps.keys.sorted(), created: record?.created,
                                     lastApplied: record?.lastApplied, expires: record?.expires,
                                     status: holds ? (record?.status(at: now) ?? "active") : "empty", location: backend.location))
            } catch StateError.encrypted(_, let reason) {
                // Listed as such, without its contents: no key set reads it.
                entries.append(Entry(name: name, blueprint: "", apps: [], status: "encrypted", location: backend.location, problem: reason))
            } catch {
                entries.append(Entry(name: name, blueprint: "", apps: [], status: "unreadable", location: backend.location, problem: "\(error)"))
            }
        }
        return entries
    }
}
