import FirmBase
import FirmModel

/// One poller per provider: every wait and every observe shares its DescribeInstances calls.
/// A caller asks for a snapshot taken after it asked; callers that ask while a call is in
/// flight are all served by the next one. Each snapshot is one DescribeInstances of every
/// instance tagged with the sandbox (1,000 a page), so a thousand instances in flight cost one
/// call a poll, not a thousand.
actor EC2Poller {
    let client: EC2Client
    let sandbox: String
    /// The least time between the end of one call and the start of the next.
    let spacing: Duration
    private var waiting: [Int: CheckedContinuation<[String: EC2Instance], any Error>] = [:]
    private var cancelled: Set<Int> = []
    private var nextID = 0
    private var running = false
    private var lastEnd: ContinuousClock.Instant?
    /// The last snapshot, and when the call that took it began.
    private var latest: (began: ContinuousClock.Instant, instances: [String: EC2Instance])?

    init(client: EC2Client, sandbox: String, spacing: Duration) {
        self.client = client
        self.sandbox = sandbox
        self.spacing = spacing
    }

    /// Every instance tagged with the sandbox, by id, as seen by a call that began after this
    /// one was made. Cancelling the calling task ends the wait at once.
    func snapshot(operation: String) async throws -> [String: EC2Instance] {
        let id = nextID
        nextID += 1
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[String: EC2Instance], any Error>) in
                if cancelled.remove(id) != nil || Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                waiting[id] = continuation
                if !running {
                    running = true
                    Task { await self.loop(operation: operation) }
                }
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    /// The last snapshot when the call that took it began at most `age` ago: as fresh as a
    /// poll at that interval would be, and costing no call.
    func recent(within age: Duration) -> [String: EC2Instance]? {
        guard let latest, ContinuousClock.now - latest.began <= age else { return nil }
        return latest.instances
    }

    private func cancel(_ id: Int) {
        if let continuation = waiting.removeValue(forKey: id) { continuation.resume(throwing: CancellationError()) } else { cancelled.insert(id) }
    }

    private func loop(operation: String) async {
        while !waiting.isEmpty {
            if let lastEnd {
                let next = lastEnd.advanced(by: spacing)
                if next > .now { try? await Task.sleep(until: next, clock: .continuous) }
            }
            let batch = waiting
            waiting = [:]
            guard !batch.isEmpty else { break }
            do {
                let began = ContinuousClock.now
                let instances = try await describe(operation: operation)
                latest = (began, instances)
                for continuation in batch.values { continuation.resume(returning: instances) }
            } catch {
                for continuation in batch.values { continuation.resume(throwing: error) }
            }
            lastEnd = .now
        }
        running = false
    }

    /// The most pages one DescribeInstances is read to: a thousand instances a page, so a
    /// million instances, far more than an account's quota allows.
    static let maxPages = 1000

    /// One DescribeInstances of the sandbox, every page. The tag filter is EC2's, but ownership is
    /// checked here too: an instance whose own tag names another sandbox (or none) is not this
    /// sandbox's, whatever an endpoint that ignores filters returns. Paging is bounded: a token
    /// that comes back is an error, and so are more than `maxPages` pages.
    private func describe(operation: String) async throws -> [String: EC2Instance] {
        var result: [String: EC2Instance] = [:]
        var token: String?
        var seen: Set<String> = []
        repeat {
            var parameters = EC2Tags.filters([("tag:\(EC2Tags.sandbox)", sandbox)]) + [("MaxResults", "1000")]
            if let token { parameters.append(("NextToken", token)) }
            let answer = try await client.call("DescribeInstances", parameters, operation: operation)
            for reservation in answer.items("reservationSet") {
                for item in reservation.items("instancesSet") {
                    if let instance = EC2Instance(item), instance.tags[EC2Tags.sandbox] == sandbox { result[instance.id] = instance }
                }
            }
            token = answer.value("nextToken").flatMap { $0.isEmpty ? nil : $0 }
            if let next = token {
                guard seen.insert(next).inserted else {
                    throw ProviderError(provider: client.provider, operation: operation, message: "DescribeInstances answered the same nextToken twice; its pages never end")
                }
                guard seen.count < Self.maxPages else {
                    throw ProviderError(provider: client.provider, operation: operation, message: "DescribeInstances went on past \(Self.maxPages) pages of 1000 instances")
                }
            }
        } while token != nil
        return result
    }
}

extension EC2Poller {
    /// Polls until `done` holds for the instance (nil when it is not listed), backing off from
    /// `interval` to eight times it; fails after `timeout`.
    nonisolated func wait(for id: String, operation: String, interval: Duration, timeout: Duration,
                          what: String, _ done: @Sendable (EC2Instance?) -> Bool) async throws -> EC2Instance? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var delay = interval
        while true {
            // A throttled or failed poll is not the end of the wait: the next one may answer.
            let instance: EC2Instance?
            do {
                instance = try await snapshot(operation: operation)[id]
            } catch let error as ProviderError where error.kind == .retryable && ContinuousClock.now < deadline {
                try await Task.sleep(for: delay)
                delay = min(delay * 3 / 2, interval * 8)
                continue
            }
            if done(instance) { return instance }
            guard ContinuousClock.now < deadline else {
                throw ProviderError(provider: client.provider, operation: operation,
                                    message: "instance \(id) was not \(what) after \(DurationText.format(timeout)) (it is \(instance?.state ?? "not listed"))",
                                    kind: .retryable, code: "Timeout")
            }
            try await Task.sleep(for: delay)
            delay = min(delay * 3 / 2, interval * 8)
        }
    }
}
