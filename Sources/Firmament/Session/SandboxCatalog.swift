import Foundation

/// The sandboxes a state folder holds: one `<sandbox>.state.json` each.
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

    /// Every sandbox in `folder`, by name, as of `now`. A state that can't be read is listed as
    /// unreadable, with why; the others are still listed.
    public static func list(folder: String, now: String) async -> [Entry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var found: [(String, any StateBackend)] = []
        for file in names.sorted() where file.hasSuffix(".state.json") {
            let name = String(file.dropLast(".state.json".count))
            guard Name.isValid(name) else { continue }
            found.append((name, LocalStateBackend(paths: StatePaths(snapshot: folder + "/" + file))))
        }
        return await list(found, now: now)
    }

    /// Every sandbox under an etcd prefix, from its index keys (`PREFIX/_sandboxes/NAME`).
    public static func list(etcd url: String, now: String) async throws -> [Entry] {
        let address = try EtcdAddress(url)
        let client = try EtcdClient(address)
        let index = EtcdKeys.indexPrefix(address.prefix)
        let names = try await client.rangeAll(prefix: index, keysOnly: true).kvs.map { String($0.key.dropFirst(index.count)) }
        var found: [(String, any StateBackend)] = []
        for name in names where Name.isValid(name) {
            found.append((name, try StateBackends.resolve(url, sandbox: name)))
        }
        return await list(found, now: now)
    }

    /// The entries of the states of `found`, by name.
    static func list(_ found: [(String, any StateBackend)], now: String) async -> [Entry] {
        var entries: [Entry] = []
        for (name, backend) in found {
            do {
                let state = try await backend.load(blueprint: nil, writer: false).state
                let holds = !state.apps.isEmpty || !state.infra.isEmpty || !state.intents.isEmpty
                let record = state.sandbox
                entries.append(Entry(name: name, blueprint: state.blueprint, apps: state.apps.keys.sorted(), created: record?.created,
                                     lastApplied: record?.lastApplied, expires: record?.expires,
                                     status: holds ? (record?.status(at: now) ?? "active") : "empty", location: backend.location))
            } catch {
                entries.append(Entry(name: name, blueprint: "", apps: [], status: "unreadable", location: backend.location, problem: "\(error)"))
            }
        }
        return entries
    }
}
