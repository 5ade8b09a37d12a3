import FirmBase
import FirmModel

/// One poller per provider: every wait and every observe shares its DescribeInstances calls.
/// A caller asks for a snapshot taken after it asked; callers that ask while a call is in
/// flight are all served by the next one.
///
/// - An observe (`snapshot`) asks for every instance tagged with the sandbox (1,000 a page).
/// - A wait (`watch`) asks only for the instances being waited on: the sandbox's tag and an
///   `instance-id` filter of at most 200 ids a call (EC2's most values for a filter), so a
///   wait costs what is in flight, not what the sandbox holds. A filter, unlike `InstanceId.N`,
///   never fails for an id EC2 does not list yet, or no longer.
///
/// So a thousand instances in flight cost one call a poll (five by id), not a thousand.
actor EC2Poller {
    let client: EC2Client
    let sandbox: String
    /// The least time between the end of one call and the start of the next.
    let spacing: Duration
    /// Who waits for the next snapshot: the instance it waits for, or nil for every instance.
    private var waiting: [Int: (id: String?, continuation: CheckedContinuation<[String: EC2Instance], any Error>)] = [:]
    private var cancelled: Set<Int> = []
    private var nextID = 0
    private var running = false
    private var lastEnd: ContinuousClock.Instant?
    /// Each instance as last seen, and when the call that saw it began.
    private var seen: [String: (began: ContinuousClock.Instant, instance: EC2Instance)] = [:]
    /// The call in flight: when it began, what it asks for (nil: every instance), and who
    /// joined it after it began.
    private var current: (began: ContinuousClock.Instant, ids: Set<String>?, joined: [CheckedContinuation<[String: EC2Instance], any Error>])?
    /// Instances launched and not yet seen running: every poll by id looks at them too, so
    /// that the refreshes that follow their deploys find them seen.
    private var expected: Set<String> = []

    /// The most values EC2 takes in one filter.
    static let idsPerCall = 200

    init(client: EC2Client, sandbox: String, spacing: Duration) {
        self.client = client
        self.sandbox = sandbox
        self.spacing = spacing
    }

    /// Every instance tagged with the sandbox, by id, as seen by a call that began after this
    /// one was made. Cancelling the calling task ends the wait at once.
    func snapshot(operation: String) async throws -> [String: EC2Instance] {
        try await next(nil, operation: operation)
    }

    /// At least instance `id` (when EC2 lists it), as seen by a call that began after this one
    /// was made. Cancelling the calling task ends the wait at once.
    func watch(_ id: String, operation: String) async throws -> EC2Instance? {
        try await next(id, operation: operation)[id]
    }

    private func next(_ id: String?, operation: String) async throws -> [String: EC2Instance] {
        let ticket = nextID
        nextID += 1
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[String: EC2Instance], any Error>) in
                if cancelled.remove(ticket) != nil || Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                // A call in flight that began within the spacing, and asks for what this one
                // needs, is as fresh as the next poll would be: this one joins it.
                if let current, ContinuousClock.now - current.began <= spacing, current.ids == nil || id.map({ current.ids!.contains($0) }) == true {
                    self.current!.joined.append(continuation)
                    return
                }
                waiting[ticket] = (id, continuation)
                if !running {
                    running = true
                    Task { await self.loop(operation: operation) }
                }
            }
        } onCancel: {
            Task { await self.cancel(ticket) }
        }
    }

    /// Has the next polls by id look at these launched instances too, until they are seen running.
    func expect(_ ids: [String]) {
        expected.formUnion(ids)
    }

    /// Instance `id` as last seen by a call that began at most `age` ago: as fresh as a poll at
    /// that interval would be, and costing no call.
    func recent(_ id: String, within age: Duration) -> EC2Instance? {
        guard let last = seen[id], ContinuousClock.now - last.began <= age else { return nil }
        return last.instance
    }

    private func cancel(_ ticket: Int) {
        if let entry = waiting.removeValue(forKey: ticket) { entry.continuation.resume(throwing: CancellationError()) } else { cancelled.insert(ticket) }
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
            // Every instance when one caller asks for all, else only those waited on.
            let ids: Set<String>? = batch.values.contains { $0.id == nil } ? nil : Set(batch.values.compactMap(\.id)).union(expected)
            let began = ContinuousClock.now
            current = (began, ids, [])
            let result: Result<[String: EC2Instance], any Error>
            do {
                result = .success(try await describe(ids.map { Array($0).sorted() }, operation: operation))
            } catch {
                result = .failure(error)
            }
            let joined = current?.joined ?? []
            current = nil
            if case .success(let instances) = result {
                for (id, instance) in instances {
                    seen[id] = (began, instance)
                    if instance.state != "pending" { expected.remove(id) }
                }
            }
            for continuation in batch.values.map(\.continuation) + joined { continuation.resume(with: result) }
            lastEnd = .now
        }
        running = false
    }

    /// The most pages one DescribeInstances is read to: a thousand instances a page, so a
    /// million instances, far more than an account's quota allows.
    static let maxPages = 1000

    /// One DescribeInstances of the sandbox, every page, or of the instances `ids` (a call per
    /// `idsPerCall`). The tag filter is EC2's, but ownership is checked here too: an instance whose
    /// own tag names another sandbox (or none) is not this sandbox's, whatever an endpoint that
    /// ignores filters returns. Paging is bounded: a token that comes back is an error, and so
    /// are more than `maxPages` pages.
    private func describe(_ ids: [String]?, operation: String) async throws -> [String: EC2Instance] {
        var result: [String: EC2Instance] = [:]
        let mine = ("tag:\(EC2Tags.sandbox)", sandbox)
        guard let ids else {
            try await pages(EC2Tags.filters([mine]), operation: operation, into: &result)
            return result
        }
        for start in stride(from: 0, to: ids.count, by: Self.idsPerCall) {
            let chunk = ids[start..<min(start + Self.idsPerCall, ids.count)]
            var parameters = EC2Tags.filters([mine])
            parameters += [("Filter.2.Name", "instance-id")] + chunk.enumerated().map { ("Filter.2.Value.\($0.offset + 1)", $0.element) }
            try await pages(parameters, operation: operation, into: &result)
        }
        return result
    }

    /// The sandbox's instances that also pass `filters` (EC2's `Filter.N`, numbered from 2),
    /// in a call of their own, every page.
    nonisolated func describe(filteredBy filters: [(String, String)], operation: String) async throws -> [String: EC2Instance] {
        var result: [String: EC2Instance] = [:]
        try await pages(EC2Tags.filters([("tag:\(EC2Tags.sandbox)", sandbox)] + filters), operation: operation, into: &result)
        return result
    }

    private nonisolated func pages(_ filters: [(String, String)], operation: String, into result: inout [String: EC2Instance]) async throws {
        try await client.paged("DescribeInstances", filters, pageSize: 1000, maxPages: Self.maxPages, operation: operation) { answer in
            for reservation in answer.items("reservationSet") {
                for item in reservation.items("instancesSet") {
                    if let instance = EC2Instance(item), instance.tags[EC2Tags.sandbox] == sandbox { result[instance.id] = instance }
                }
            }
        }
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
                instance = try await watch(id, operation: operation)
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
