import Foundation
import Synchronization
import FirmBase
import FirmModel

/// The on-disk world of one simulated provider: `<dataDir>/<provider>.world`, a log of JSON
/// lines (`{"put": VM}` or `{"delete": vmName}`), guarded by an flock on `<provider>.world.lock`.
///
/// Every operation takes the lock, reads what other processes appended since it last looked,
/// appends its own change and lets go, so that any number of `firm` processes share one world
/// without corrupting it, at O(1) cost per operation. Operations of this process that arrive
/// while one runs are run together after it, under one lock and with one write. The log is
/// rewritten compactly (temp file and rename) when it grows to twice the number of VMs.
///
/// One value serves every provider of a process that names the same file (`shared`), so a
/// process that opens the provider again and again (a reconcile replica, each cycle) reads only
/// what was appended since its last look, never the whole world again.
final class SimulatedWorldFile: @unchecked Sendable {
    /// The world files this process opened, by path.
    private static let opened = Mutex<[String: SimulatedWorldFile]>([:])

    /// The world file of `provider` under `dataDir`, opened once per process.
    static func shared(dataDir: String, provider: String) -> SimulatedWorldFile {
        let path = (dataDir as NSString).appendingPathComponent("\(provider).world")
        if let file = opened.withLock({ $0[path] }) { return file }
        let file = SimulatedWorldFile(dataDir: dataDir, provider: provider)
        return opened.withLock { opened in
            if let other = opened[path] { return other }
            opened[path] = file
            return file
        }
    }

    let path: String
    private let lockPath: String
    private var vms: [String: SimulatedVM] = [:]
    private var infra: [String: SimulatedInfra] = [:]
    /// Saved images (`saveApp`), by id.
    private var images: [String: SimulatedImage] = [:]
    private var byUuid: [String: String] = [:]
    /// The names of each sandbox's VMs, so that a sandbox's inventory costs its own VMs only.
    private var bySandbox: [String: Set<String>] = [:]
    private var usedIPs: Set<UInt32> = []
    private var offset = 0
    private var inode: ino_t = 0
    private var lineCount = 0
    /// The log's size at the last catch-up: under the lock, what the next append starts from.
    private var seenSize = 0
    /// Every transaction of this process runs here, one at a time: the blocking flock and file
    /// I/O never run on Swift's cooperative pool.
    private let queue = DispatchQueue(label: "firmament.simulated-world")
    /// Kept open between operations: the lock file, and the log for appending (reopened when
    /// compaction has replaced the file).
    private var lockFD: Int32 = -1
    private var appendFD: Int32 = -1
    private var appendInode: ino_t = 0
    /// Transactions waiting for the queue: those that arrive while one batch runs are run
    /// together in the next, under one flock, one catch-up and one write. `scheduled` says a
    /// drain is on its way.
    private let waiting = Mutex<(transactions: [Waiting], scheduled: Bool)>(([], false))

    /// A transaction waiting for its batch: `run` runs its body and returns what resumes its
    /// caller once the batch's lines are written (or failed to be); `fail` resumes it when the
    /// batch could not start (the lock or the catch-up failed).
    private struct Waiting: Sendable {
        let run: @Sendable (inout Transaction) -> (@Sendable (WorldError?) -> Void)
        let fail: @Sendable (WorldError) -> Void
    }

    deinit {
        if lockFD >= 0 { close(lockFD) }
        if appendFD >= 0 { close(appendFD) }
    }

    init(dataDir: String, provider: String) {
        path = (dataDir as NSString).appendingPathComponent("\(provider).world")
        lockPath = path + ".lock"
    }

    /// Runs `body` with the world locked and up to date, on the world's own queue; `body`
    /// records the changes to append.
    func transact<T: Sendable>(_ body: @escaping @Sendable (inout Transaction) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let run: @Sendable (inout Transaction) -> (@Sendable (WorldError?) -> Void) = { transaction in
                let mark = transaction.lines.count
                do {
                    let value = try body(&transaction)
                    return { error in
                        if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: value) }
                    }
                } catch {
                    // As when run alone: a body that throws writes nothing.
                    transaction.lines.removeSubrange(mark...)
                    return { _ in continuation.resume(throwing: error) }
                }
            }
            enqueue(Waiting(run: run, fail: { continuation.resume(throwing: $0) }))
        }
    }

    private func enqueue(_ transaction: Waiting) {
        let schedule = waiting.withLock { waiting in
            waiting.transactions.append(transaction)
            defer { waiting.scheduled = true }
            return !waiting.scheduled
        }
        if schedule { queue.async { self.drain() } }
    }

    /// Runs every waiting transaction, in the order they came, as one batch: one flock, one
    /// catch-up and one write for all of them.
    private func drain() {
        let batch = waiting.withLock { waiting in
            defer { waiting = ([], false) }
            return waiting.transactions
        }
        var finish: [@Sendable (WorldError?) -> Void] = []
        var started = false
        var failure: WorldError?
        do {
            try transactNow { transaction in
                started = true
                finish = batch.map { $0.run(&transaction) }
            }
        } catch {
            failure = error as? WorldError ?? .other("\(error)")
        }
        if !started, let failure {
            for waiting in batch { waiting.fail(failure) }
            return
        }
        for resume in finish { resume(failure) }
    }

    /// Reads what the log holds now, without the lock, so that the next transaction has little
    /// left to read. That is safe: only whole lines are taken, and the next transaction, under
    /// the lock, starts over if the file was replaced (compaction) or cut short (a torn tail).
    func readAhead() {
        queue.async { try? self.catchUp() }
    }

    private func transactNow<T>(_ body: (inout Transaction) throws -> T) throws -> T {
        if lockFD < 0 {
            // The data folder is made at the first transaction, not when the provider is made, so
            // that a command refused before it asks the world anything leaves no folder behind.
            let dataDir = (path as NSString).deletingLastPathComponent
            do {
                try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
            } catch {
                throw WorldError.file(dataDir, "cannot create the data folder", FileErrors.reason(error))
            }
            lockFD = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard lockFD >= 0 else { throw WorldError.file(lockPath, "cannot open", FileErrors.errno(errno)) }
        }
        // Another firm holds the world only for a transaction's few milliseconds; one that was
        // paused (SIGSTOP) inside one must not hang this one for ever.
        let deadline = ContinuousClock.now + .seconds(60)
        while flock(lockFD, LOCK_EX | LOCK_NB) != 0 {
            if errno != EINTR && errno != EWOULDBLOCK { throw WorldError.file(lockPath, "cannot lock", FileErrors.errno(errno)) }
            if ContinuousClock.now >= deadline { throw WorldError.lockedTooLong(lockPath) }
            usleep(2_000)
        }
        defer { flock(lockFD, LOCK_UN) }
        try catchUp()
        var transaction = Transaction(file: self)
        let result = try body(&transaction)
        if !transaction.lines.isEmpty { try append(transaction.lines) }
        if lineCount > 1000 && lineCount > 2 * (vms.count + infra.count + images.count) { try compact() }
        return result
    }

    struct Transaction {
        fileprivate let file: SimulatedWorldFile
        fileprivate var lines: [UInt8] = []

        var vms: [String: SimulatedVM] { file.vms }
        func infra(_ sandbox: String) -> SimulatedInfra? { file.infra[sandbox] }
        var images: [String: SimulatedImage] { file.images }
        /// The image saved as `snapshot` of `sandbox`, if any.
        func image(snapshot: String, sandbox: String) -> SimulatedImage? {
            file.images.values.first { $0.snapshot == snapshot && $0.sandbox == sandbox }
        }
        func vm(uuid: String) -> SimulatedVM? { file.byUuid[uuid].flatMap { file.vms[$0] } }
        func vm(name: String) -> SimulatedVM? { file.vms[name] }
        /// The VMs of `sandbox`.
        func vms(sandbox: String) -> [SimulatedVM] { (file.bySandbox[sandbox] ?? []).compactMap { file.vms[$0] } }

        mutating func put(_ vm: SimulatedVM) { record(.put(vm)) }
        mutating func delete(_ vmName: String) { record(.delete(vmName)) }
        mutating func putInfra(_ value: SimulatedInfra) { record(.putInfra(value)) }
        mutating func deleteInfra(_ sandbox: String) { record(.deleteInfra(sandbox)) }
        mutating func putImage(_ image: SimulatedImage) { record(.putImage(image)) }
        mutating func deleteImage(_ id: String) { record(.deleteImage(id)) }

        private mutating func record(_ change: Change) {
            file.apply(change)
            lines.append(contentsOf: change.line)
        }

        /// A free host address in `cidr` (from its third address on), outside `excluded`.
        func freeAddress(in cidr: CIDR, excluding excluded: [CIDR] = []) -> String? {
            let first = cidr.network.value &+ 2
            let last = cidr.last.value &- 1
            guard first <= last else { return nil }
            var candidate = first &+ UInt32(file.usedIPs.count % Int(last - first + 1))
            for _ in 0...(last - first) {
                let address = IPv4Address(candidate)
                if !file.usedIPs.contains(candidate) && !excluded.contains(where: { $0.contains(address) }) { return address.description }
                candidate = candidate == last ? first : candidate + 1
            }
            return nil
        }
    }

    /// One line of the world log.
    fileprivate enum Change {
        case put(SimulatedVM), delete(String), putInfra(SimulatedInfra), deleteInfra(String)
        case putImage(SimulatedImage), deleteImage(String)

        var line: [UInt8] {
            let json: JSON
            switch self {
            case .put(let vm):
                // The line of nearly every operation: written without building its JSON.
                var out = Array(#"{"put":"#.utf8)
                out.reserveCapacity(256)
                vm.writeCompact(into: &out)
                out.append(contentsOf: "}\n".utf8)
                return out
            case .delete(let name): json = ["delete": .string(name)]
            case .putInfra(let value): json = ["infra": value.json]
            case .deleteInfra(let sandbox): json = ["deleteInfra": .string(sandbox)]
            case .putImage(let image): json = ["image": image.json]
            case .deleteImage(let id): json = ["deleteImage": .string(id)]
            }
            return JSONWriter(pretty: false).bytes(json) + [0x0A]
        }

        init?(_ json: JSONNode) {
            if let vm = json["put"].flatMap(SimulatedVM.init) { self = .put(vm) }
            else if let name = json["delete"]?.stringValue { self = .delete(name) }
            else if let value = json["infra"].flatMap(SimulatedInfra.init) { self = .putInfra(value) }
            else if let sandbox = json["deleteInfra"]?.stringValue { self = .deleteInfra(sandbox) }
            else if let image = json["image"].flatMap(SimulatedImage.init) { self = .putImage(image) }
            else if let id = json["deleteImage"]?.stringValue { self = .deleteImage(id) }
            else { return nil }
        }
    }

    private func apply(_ change: Change) {
        switch change {
        case .put(let vm):
            if let old = vms[vm.vmName] {
                if let ip = IPv4Address(old.ip) { usedIPs.remove(ip.value) }
                if old.sandbox != vm.sandbox { unindex(old) }
            }
            vms[vm.vmName] = vm
            byUuid[vm.vmUuid] = vm.vmName
            bySandbox[vm.sandbox, default: []].insert(vm.vmName)
            if let ip = IPv4Address(vm.ip) { usedIPs.insert(ip.value) }
        case .delete(let name):
            if let old = vms.removeValue(forKey: name) {
                byUuid[old.vmUuid] = nil
                unindex(old)
                if let ip = IPv4Address(old.ip) { usedIPs.remove(ip.value) }
            }
        case .putInfra(let value): infra[value.sandbox] = value
        case .deleteInfra(let sandbox): infra[sandbox] = nil
        case .putImage(let image): images[image.id] = image
        case .deleteImage(let id): images[id] = nil
        }
        lineCount += 1
    }

    private func unindex(_ vm: SimulatedVM) {
        bySandbox[vm.sandbox]?.remove(vm.vmName)
        if bySandbox[vm.sandbox]?.isEmpty == true { bySandbox[vm.sandbox] = nil }
    }

    private func catchUp() throws {
        var info = stat()
        if stat(path, &info) != 0 {
            if errno == ENOENT {
                reset()
                return
            }
            throw WorldError.file(path, "cannot stat", FileErrors.errno(errno))
        }
        if info.st_ino != inode || Int(info.st_size) < offset {
            reset()
            inode = info.st_ino
        }
        seenSize = Int(info.st_size)
        guard Int(info.st_size) > offset else { return }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw WorldError.file(path, "cannot open", FileErrors.errno(errno)) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: Int(info.st_size) - offset)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
        guard n >= 0 else { throw WorldError.file(path, "cannot read", FileErrors.errno(errno)) }
        var start = 0
        buffer.withUnsafeBufferPointer { all in
            for i in 0..<n where all[i] == 0x0A {
                let line = UnsafeBufferPointer(rebasing: all[start..<i])
                if let vm = SimulatedVM.putLine(line) {
                    apply(.put(vm))
                } else if let node = try? JSONReader.parse(line), let change = Change(node) {
                    apply(change)
                }
                start = i + 1
            }
        }
        offset += start
    }

    private func reset() {
        vms = [:]
        infra = [:]
        images = [:]
        byUuid = [:]
        bySandbox = [:]
        usedIPs = []
        offset = 0
        inode = 0
        lineCount = 0
        seenSize = 0
    }

    private func append(_ bytes: [UInt8]) throws {
        if appendFD >= 0 && (inode == 0 || appendInode != inode) {
            close(appendFD)
            appendFD = -1
        }
        if appendFD < 0 {
            appendFD = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            guard appendFD >= 0 else { throw WorldError.file(path, "cannot open", FileErrors.errno(errno)) }
            var info = stat()
            fstat(appendFD, &info)
            appendInode = info.st_ino
        }
        let fd = appendFD
        // The catch-up just before, under the same lock, saw the file as it is: nobody else
        // writes while we hold the lock. A file created by the open above is empty.
        let before = inode == appendInode ? seenSize : 0
        if before > offset {
            // A writer killed mid-line left a torn tail; we hold the lock, so cut it off.
            ftruncate(fd, off_t(offset))
        }
        do { try FileIO.writeAll(fd, bytes, path: path) } catch { throw WorldError.state(error) }
        inode = appendInode
        offset = min(before, offset) + bytes.count
        seenSize = offset
    }

    private func compact() throws {
        var bytes: [UInt8] = []
        for sandbox in infra.keys.sorted() { bytes.append(contentsOf: Change.putInfra(infra[sandbox]!).line) }
        for id in images.keys.sorted() { bytes.append(contentsOf: Change.putImage(images[id]!).line) }
        for name in vms.keys.sorted() { bytes.append(contentsOf: Change.put(vms[name]!).line) }
        do { try FileIO.atomicWrite(bytes, to: path) } catch { throw WorldError.state(error) }
        var info = stat()
        stat(path, &info)
        inode = info.st_ino
        offset = Int(info.st_size)
        lineCount = vms.count + infra.count + images.count
    }
}

/// Why the simulated world's file could not be read or written.
enum WorldError: Error, CustomStringConvertible {
    /// A call on a file failed: the file, what was being done, and the system's reason.
    case file(String, String, String)
    /// Another process held the world's lock past the wait.
    case lockedTooLong(String)
    /// Writing failed as the state's writes fail.
    case state(StateError)
    case other(String)

    var description: String {
        switch self {
        case .file(let path, let doing, let reason): "\(doing) \(path): \(reason)"
        case .lockedTooLong(let path): "\(path) has been locked by another process for 60 s (is a firm paused?)"
        case .state(let error): error.description
        case .other(let message): message
        }
    }
}
