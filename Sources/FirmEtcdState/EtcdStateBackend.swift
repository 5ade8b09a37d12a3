import Synchronization
import FirmBase
import FirmModel
import FirmEncryption

/// A sandbox's state on etcd v3, through its JSON gateway: one key per app, network, provider
/// infrastructure and intent, a meta key, and a lease lock that fences every write (see
/// EtcdKeys, EtcdLock and docs/state.md).
public struct EtcdStateBackend: StateBackend {
    public let client: EtcdClient
    public let sandbox: String
    let keys: EtcdKeys
    /// The lease TTL of the lock, in seconds.
    public let lockTTL: Int
    /// The lock this backend took, which the journal's writes are fenced on.
    private let held = HeldLock()
    /// The state keys (FIRM_STATE_KEY and its kin), when set: values are sealed with them.
    var sealing: EtcdSealing

    public init(_ address: EtcdAddress, sandbox: String, lockTTL: Int = 15, environment: Environment = .process) throws(StateError) {
        guard Name.isValid(sandbox) else {
            throw .unavailable(location: address.url, reason: "an etcd state needs a sandbox name: give --sandbox NAME or a blueprint")
        }
        self.client = try EtcdClient(address, environment: environment)
        self.sandbox = sandbox
        self.keys = EtcdKeys(prefix: address.prefix, sandbox: sandbox)
        self.lockTTL = lockTTL
        do {
            self.sealing = EtcdSealing(keys: try StateKeys.from(environment), sandbox: sandbox, address: address)
        } catch {
            throw .unavailable(location: address.url, reason: "\(error)")
        }
    }

    /// The URL as given, so that a saved plan names the same store; the sandbox is saved beside it.
    public var location: String { client.address.url }

    /// The sandbox whose keys this backend holds.
    public var namedSandbox: String? { sandbox }
    /// For messages: the store and the sandbox.
    var display: String { "\(client.address.url) (sandbox \(sandbox))" }

    public func load(blueprint: String?, writer: Bool) async throws -> LoadedState {
        let address = client.address
        var meta: EtcdKV?
        var sawKeys = false
        var state = State.new(blueprint: blueprint ?? "")
        var problems: [String] = []
        // Sealed values, opened as they come; their lineages are checked against the meta key's.
        var sealedLineages: [(key: String, lineage: String)] = []
        let sealing = self.sealing
        func decodeValue<T>(_ kv: EtcdKV, _ decode: (JSONNode, JSONPath, inout DecodingContext) -> T?) throws -> T? {
            var context = DecodingContext(file: address.location(of: kv.key))
            let node: JSONNode
            var bytes = kv.value
            if let opened = try sealing.open(kv) {
                bytes = opened.plaintext
                sealedLineages.append((kv.key, opened.lineage))
            }
            do { node = try JSONReader.parse(bytes) } catch {
                problems.append("\(address.location(of: kv.key)):\(error.position): \(error.message)")
                return nil
            }
            let value = decode(node, JSONPath(), &context)
            problems.append(contentsOf: context.diagnostics.map(\.description))
            return context.diagnostics.isEmpty ? value : nil
        }
        func named(_ name: String, _ kv: EtcdKV, _ what: String) -> Bool {
            if Name.isValid(name) { return true }
            problems.append("\(address.location(of: kv.key)): \(quoted(name)) is not a valid \(what) name")
            return false
        }
        // Each page is decoded while the next one is read: etcd serves on one core, firm
        // decodes on another.
        let client = self.client, root = keys.root
        var page = try await client.page(prefix: root, from: root, revision: 0, budget: RangeBudget(prefix: root, url: client.address.url))
        while true {
            let revision = page.revision, budget = page.budget
            let following = page.next.map { start in Task { try await client.page(prefix: root, from: start, revision: revision, budget: budget) } }
            for kv in page.kvs {
                if keys.item(kv.key) != .lock { sawKeys = true }
                switch keys.item(kv.key) {
                case .meta: meta = kv
                case .lock: continue
                case .record: state.sandbox = try decodeValue(kv, SandboxRecord.decode)
                case .app(let name):
                    if named(name, kv, "app"), let app = try decodeValue(kv, { AppState.decode($0, $1, &$2) }) { state.apps[name] = app }
                case .network(let name):
                    if named(name, kv, "network"), let n = try decodeValue(kv, NetworkState.decode) { state.networks[name] = n }
                case .infra(let name):
                    if named(name, kv, "provider"), let i = try decodeValue(kv, InfraState.decode) { state.infra[name] = i }
                case .intent(let id):
                    if let intent = try decodeValue(kv, Intent.decode) {
                        if intent.id != id { problems.append("\(address.location(of: kv.key)): the intent's id is \(quoted(intent.id)), not the key's") } else { state.intents[id] = intent }
                    }
                case .snapshot(let name):
                    if named(name, kv, "snapshot"), let record = try decodeValue(kv, SnapshotRecord.decode) { state.snapshots[name] = record }
                case nil: problems.append("\(address.location(of: kv.key)): a key firm does not write (expected meta, sandbox, lock, app/NAME, network/NAME, infra/NAME, intent/ID or snapshot/NAME)")
                }
            }
            guard let following else { break }
            page = try await following.value
        }
        guard let meta else {
            if sawKeys {
                throw StateError.corrupt(location: display, reason: "keys under \(keys.root) but no meta key: the state is incomplete (was it written by hand?)")
            }
            return LoadedState(state: state, existed: false)
        }
        let header = try decodeMeta(meta)
        state.lineage = header.lineage
        state.serial = header.serial
        state.blueprint = header.blueprint
        for (key, lineage) in sealedLineages where lineage != header.lineage {
            problems.append("\(address.location(of: key)): the encrypted value belongs to lineage \(lineage), the state is lineage \(header.lineage) (a value moved from another state)")
        }
        if problems.isEmpty, let shared = state.sharedVM() { problems.append(shared) }
        guard problems.isEmpty else {
            throw StateError.corrupt(location: display, reason: problems.prefix(20).joined(separator: "\n  ") + "\n(fix or delete the named keys with etcdctl; `firm drift` then shows any VM the state no longer knows)")
        }
        if let blueprint, state.blueprint != blueprint {
            throw StateError.wrongBlueprint(location: display, expected: blueprint, found: state.blueprint)
        }
        return LoadedState(state: state, existed: true)
    }

    /// The meta key: {version, lineage, serial, blueprint}, every field checked.
    func decodeMeta(_ kv: EtcdKV) throws -> (lineage: String, serial: Int, blueprint: String) {
        let file = client.address.location(of: kv.key)
        let node: JSONNode
        do { node = try JSONReader.parse(kv.value, maxDepth: 4) } catch {
            throw StateError.corrupt(location: file, reason: "\(error.position): \(error.message)")
        }
        if let version = node.member("version")?.plain.intValue, version > State.formatVersion {
            throw StateError.newer(location: file, version: version)
        }
        var c = DecodingContext(file: file)
        let root = JSONPath()
        guard let f = c.members(of: node, at: root, allowed: ["version", "lineage", "serial", "blueprint"], required: ["version", "lineage", "serial", "blueprint"]),
            f["version"].flatMap({ c.int($0, at: root.key("version"), in: State.formatVersion...State.formatVersion) }) != nil,
            let lineage = f["lineage"].flatMap({ c.string($0, at: root.key("lineage")) }),
            let serial = f["serial"].flatMap({ c.int($0, at: root.key("serial"), in: 0...State.maxSerial) }),
            let blueprint = f["blueprint"].flatMap({ c.name($0, at: root.key("blueprint"), what: "blueprint") }),
            c.diagnostics.isEmpty
        else {
            throw StateError.corrupt(location: file, reason: c.diagnostics.map(\.description).joined(separator: "\n  "))
        }
        return (lineage, serial, blueprint)
    }

    public func openJournal(after loaded: LoadedState) async throws -> any StateJournal {
        guard let lock = held.lock else {
            throw StateError.io(location: display, reason: "the journal was opened without the lock (a bug in firm)")
        }
        return EtcdJournal(client: client, keys: keys, lock: lock, loaded: loaded, location: display, sealing: sealing)
    }

    public func lock(operation: String, timeout: Duration?) async throws -> any StateLease {
        let lock = try await EtcdLock.acquire(client, key: keys.lock, location: display, operation: operation, timeout: timeout, ttl: lockTTL)
        held.lock = lock
        return lock
    }

    public func peek() async -> LockPeek {
        guard let kv = try? await client.get(keys.lock) else { return LockPeek(held: false, holder: nil) }
        return LockPeek(held: true, holder: EtcdLock.decodeHolder(kv.value))
    }

    /// A lock on etcd is held only while its holder's lease lives, so there is never a stale one
    /// to break: a held lock belongs to a live process and is refused, as on local files. A lock
    /// key with no lease (written by hand, or by a tool that isn't firm) never ends by itself:
    /// it is removed when the id given is its holder's, fenced on the key as it was read.
    public func forceUnlock(id: String) async throws -> ForceUnlockResult {
        guard let kv = try await client.get(keys.lock) else { return .cleared(nil) }
        let holder = EtcdLock.decodeHolder(kv.value)
        if let holder, holder.id != id {
            throw StateError.io(location: display, reason: "the lock id is \(holder.id), not \(id); nothing was changed")
        }
        if kv.lease == 0 {
            guard let holder else {
                throw StateError.io(location: display, reason: "the lock key \(keys.lock) has no lease, so it never ends by itself, and its holder can't be read: "
                                        + "remove it with `etcdctl del \(keys.lock)` once you know nothing uses the state")
            }
            let result = try await client.txn(compare: [Etcd.modified(keys.lock, kv.modRevision)], success: [Etcd.delete(keys.lock)])
            guard result.succeeded else {
                throw StateError.conflict(location: display, reason: "the lock changed while force-unlock looked at it; nothing was removed")
            }
            return .removed(holder)
        }
        throw StateError.locked(location: display + "; its lease ends within \(lockTTL)s of its holder's last renewal, so waiting (--lock-timeout) is enough", holder: holder)
    }
}

/// The lock a backend value took (the backend is a value; the lock is found by its journal).
final class HeldLock: Sendable {
    private let value = Mutex<EtcdLock?>(nil)
    var lock: EtcdLock? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
