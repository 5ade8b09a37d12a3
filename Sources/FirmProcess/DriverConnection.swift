import Foundation
import FirmBase
import FirmModel

/// A driver child process spoken to in newline-delimited JSON-RPC 2.0 over stdin and stdout.
/// Many requests may be in flight at once; answers are matched by id. A driver that exits,
/// writes what is not JSON, floods stdout or does not answer in time fails only the requests
/// it was answering, and a crashed driver is started again for later requests, a few times.
actor DriverConnection {
    static let protocolVersion = 2
    static let maxRestarts = 3
    static let defaultTimeouts: [String: Duration] = [
        "initialize": .seconds(30), "deploy": .seconds(600), "delete": .seconds(300), "prepareSandboxInfra": .seconds(600),
        "cleanSandboxInfra": .seconds(600), "refreshIP": .seconds(600), "default": .seconds(120),
        // A plan only warns when the catalog can't be read: a driver that never answers must not hold it long.
        "catalog": .seconds(20),
        "saveApp": .seconds(3600),
    ]

    let provider: String
    let command: [String]
    let workingDirectory: String
    let timeouts: [String: Duration]
    let log: DriverLog
    /// Builds the `initialize` params, with secrets resolved; called at each start.
    let initializeParams: @Sendable () throws -> JSON

    private var process: DriverChild?
    private var stdin: DriverWriter?
    private var generation = 0
    private var starts = 0
    private var starting: Task<JSON, any Error>?
    private(set) var hello: JSON?
    /// The name and version the driver gave, kept after it exits, for messages.
    private var ownName: String?
    private var nextId = 1
    private var pending: [Int: (method: String, continuation: CheckedContinuation<JSON, any Error>)] = [:]
    private var timers: [Int: Task<Void, Never>] = [:]

    init(provider: String, command: [String], workingDirectory: String, timeouts: [String: Duration],
         log: DriverLog, initializeParams: @escaping @Sendable () throws -> JSON) {
        self.provider = provider
        self.command = command
        self.workingDirectory = workingDirectory
        self.timeouts = timeouts
        self.log = log
        self.initializeParams = initializeParams
    }

    /// The driver as named in messages: its own name once known, and its command.
    var driverName: String {
        let own = ownName.map { "\($0) " } ?? ""
        return "driver \(own)(\(command.joined(separator: " ")))"
    }

    /// A failure of `method`, naming the driver and quoting its last stderr lines. A timeout, or
    /// a request that could not be written because the driver had exited, is retryable. A
    /// request that met a crash, junk or a flood is terminal: the driver is restarted for other
    /// requests, but that one may be what crashes it, and retrying it would spend the restarts.
    func error(_ method: String, _ message: String, kind: FailureKind = .terminal, code: String? = nil) -> ProviderError {
        var text = "\(driverName): \(message)"
        let tail = log.tail.suffix(5)
        if !tail.isEmpty { text += "\n  last lines on its stderr:\n" + tail.map { "    " + $0 }.joined(separator: "\n") }
        return ProviderError(provider: provider, operation: method, message: text, kind: kind, code: code)
    }

    /// Calls an operation and returns its result.
    func call(_ operation: ProviderOperation, _ params: JSON) async throws -> JSON {
        try await call(operation.rawValue, params)
    }

    /// Calls `method` and returns its result.
    func call(_ method: String, _ params: JSON) async throws -> JSON {
        _ = try await started()
        return try await send(method, params)
    }

    /// The `initialize` result, starting the driver when it is not running.
    func started() async throws -> JSON {
        if process != nil, let hello { return hello }
        if let starting { return try await starting.value }
        let task = Task { try await self.start() }
        starting = task
        defer { starting = nil }
        return try await task.value
    }

    private func start() async throws -> JSON {
        if starts > Self.maxRestarts {
            throw error("start", "it crashed \(starts) times; it is not started again in this run")
        }
        starts += 1
        generation += 1
        // A driver that has exited must not take firm down with it when firm writes to it.
        signal(SIGPIPE, SIG_IGN)
        let params = try initializeParams()
        let started: (child: DriverChild, stdin: Int32, stdout: Int32, stderr: Int32)
        do {
            started = try DriverChild.start(command, in: workingDirectory)
        } catch {
            throw self.error("start", "cannot start it: \(error)")
        }
        let process = started.child
        self.process = process
        let stdin = DriverWriter(FileHandle(fileDescriptor: started.stdin, closeOnDealloc: true))
        self.stdin = stdin
        DriverProcesses.shared.add(process, stdin: stdin)
        log.startReading(started.stderr)
        let (stream, continuation) = AsyncStream.makeStream(of: DriverOutput.Event.self)
        DriverOutput.startReading(started.stdout, into: continuation)
        let gen = generation
        Task { for await event in stream { self.handle(event, generation: gen) } }
        let result = try await send("initialize", params)
        guard result["connectivity"]?.stringValue != nil, result["name"]?.stringValue != nil else {
            stop("its initialize answer has no \"name\" or \"connectivity\"")
            throw error("initialize", "its initialize answer has no \"name\" or \"connectivity\": \(Self.excerpt(result.compactText))")
        }
        hello = result
        ownName = result["name"]?.stringValue
        return result
    }

    private func send(_ method: String, _ params: JSON) async throws -> JSON {
        let id = nextId
        nextId += 1
        let timeout = timeouts[method] ?? timeouts["default"] ?? Self.defaultTimeouts[method] ?? Self.defaultTimeouts["default"]!
        let request: JSON = ["jsonrpc": "2.0", "id": .int(id), "method": .string(method), "params": params]
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<JSON, any Error>) in
                pending[id] = (method, continuation)
                // Queued, never written here: a driver that stops reading can't block the actor.
                guard let stdin, stdin.write(Array((request.compactText + "\n").utf8)) else {
                    finish(id, .failure(error(method, "cannot write to its stdin (it has exited)", kind: .retryable, code: "DriverExited")))
                    return
                }
                timers[id] = Task {
                    try? await Task.sleep(for: timeout)
                    guard !Task.isCancelled else { return }
                    self.expire(id, after: timeout)
                }
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    private func finish(_ id: Int, _ result: Result<JSON, any Error>) {
        guard let entry = pending.removeValue(forKey: id) else { return }
        timers.removeValue(forKey: id)?.cancel()
        entry.continuation.resume(with: result)
    }

    private func expire(_ id: Int, after timeout: Duration) {
        guard let method = pending[id]?.method else { return }
        notifyCancel(id)
        finish(id, .failure(error(method, "did not answer \(method) within \(DurationText.format(timeout)) (set \"timeouts\" on the provider to allow more)",
                                  kind: .retryable, code: "Timeout")))
    }

    private func cancel(_ id: Int) {
        guard pending[id] != nil else { return }
        notifyCancel(id)
        finish(id, .failure(CancellationError()))
    }

    private func notifyCancel(_ id: Int) {
        let note: JSON = ["jsonrpc": "2.0", "method": "$/cancel", "params": ["id": .int(id)]]
        stdin?.write(Array((note.compactText + "\n").utf8))
    }

    private func handle(_ event: DriverOutput.Event, generation gen: Int) {
        guard gen == generation else { return }
        switch event {
        case .line(let line):
            if line.isEmpty { return }
            guard let json = try? JSONReader.parse(line).plain else {
                failAll("wrote a line that is not JSON: \(Self.excerpt(line))", code: "DriverGarbage")
                stop(nil)
                return
            }
            guard let id = json["id"]?.intValue else {
                if json["method"] != nil { log.add("notification: \(Self.excerpt(line))") }
                else { log.add("firm: ignored a message with no id: \(Self.excerpt(line))") }
                return
            }
            guard let entry = pending[id] else {
                log.add("firm: ignored an answer for unknown request id \(id)")
                return
            }
            if let result = json["result"] {
                finish(id, .success(result))
            } else if let error = json["error"] {
                finish(id, .failure(rpcError(entry.method, error)))
            } else {
                finish(id, .failure(self.error(entry.method, "its answer has neither \"result\" nor \"error\": \(Self.excerpt(line))")))
            }
        case .flood:
            failAll("flooded stdout with a line longer than \(DriverOutput.maxLine / (1 << 20)) MiB", code: "DriverFlood")
            stop(nil)
        case .end:
            // Its stdout closed: it exited, or is about to. Whatever was in flight fails; the
            // exit status is waited for without blocking a thread of the pool.
            let dying = process
            let ids = pending.keys.sorted()
            process = nil
            stdin?.abandon()
            stdin = nil
            hello = nil
            Task {
                let status = await Self.exitStatus(dying)
                self.fail(ids, "\(status) before answering", code: "DriverExited")
            }
        }
    }

    /// How a driver process ended: it gets a second to exit by itself, then is killed.
    static func exitStatus(_ process: DriverChild?) async -> String {
        guard let process else { return "exited" }
        func waited() async -> Bool {
            for _ in 0..<100 {
                if !process.isRunning { return true }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return !process.isRunning
        }
        if await !waited() {
            process.signal(SIGKILL)
            _ = await waited()
        }
        return process.ending ?? "stopped answering (its stdout closed)"
    }

    /// Fails the requests `ids` that are still pending, as terminal.
    private func fail(_ ids: [Int], _ message: String, code: String) {
        for id in ids {
            guard let entry = pending[id] else { continue }
            finish(id, .failure(error(entry.method, message + " " + entry.method, code: code)))
        }
    }

    private func failAll(_ message: String, code: String) {
        fail(pending.keys.sorted(), message, code: code)
    }

    /// A JSON-RPC error answer: its code and data are kept. The driver marks a failure
    /// retryable with `"data": {"retryable": true}`; otherwise it is terminal.
    func rpcError(_ method: String, _ error: JSON) -> ProviderError {
        var message = error["message"]?.stringValue ?? Self.excerpt(error.compactText)
        if let data = error["data"], data != .null { message += " (data: \(Self.excerpt(data.compactText)))" }
        let retryable = error["data"]?["retryable"]?.boolValue == true
        return self.error(method, message, kind: retryable ? .retryable : .terminal, code: error["code"].map { $0.intValue.map(String.init) ?? Self.excerpt($0.compactText) })
    }

    /// Stops the driver process; the next call starts it again.
    private func stop(_ reason: String?) {
        if let reason { log.add("firm: stopping the driver: \(reason)") }
        stdin?.abandon()
        process?.signal(SIGTERM)
        process = nil
        stdin = nil
        hello = nil
        generation += 1
    }

    /// Closes the driver's stdin, which asks it to exit.
    func shutdown() {
        stdin?.close()
        stdin = nil
    }

    static func excerpt(_ text: String) -> String {
        text.count > 200 ? String(text.prefix(197)) + "..." : text
    }
}
