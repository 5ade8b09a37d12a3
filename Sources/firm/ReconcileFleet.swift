import Foundation
import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift
import FirmFleet
import FirmEvents

/// `firm reconcile --every 1m --state etcd://… blueprints/*.json`: each blueprint with its
/// sandboxes (those the prefix records for it, else one named for it), shared by every replica
/// that runs the same command. A replica balances its claims (on etcd) at once whenever the
/// fleet changes (a watch: a replica that died loses its claims when its lease runs out, and
/// the others claim them then), and every half lock TTL besides. It reconciles up to
/// --concurrency of its sandboxes at once, each by its own deadline (`FleetSchedule`): one
/// claimed just now first, the others one interval after their last start. Each sandbox's
/// cycle logs one line naming the replica; a status line comes every minute, with a warning
/// when the period can't be kept. On a local state (several blueprints, no etcd) there are no
/// claims: one process reconciles them all.
enum ReconcileFleet {
    struct Target {
        var file: String
        var blueprint: String
    }

    /// What the replica's loop waits for.
    enum Event: Sendable {
        case finished(String, Outcome)
        case wake
        case fleetChanged
    }

    /// How a sandbox's cycle ended.
    enum Outcome: Sendable {
        case succeeded(String)
        case failed(String, terminal: Bool)
    }

    static func run(_ args: Arguments) async throws {
        guard let every = try args.duration("--every", Help.reconcile), every >= .milliseconds(100) else {
            throw UsageError(message: "--every is required, at least 100ms, such as --every 30s", command: Help.reconcile)
        }
        let parallelism = try args.int("--parallelism", default: 10, in: 1...10_000, Help.reconcile)
        let concurrency = try args.int("--concurrency", default: defaultConcurrency, in: 1...1000, Help.reconcile)
        let maxCycles = try args.int("--max-cycles", default: 0, in: 0...Int.max, Help.reconcile)
        let fixed = args.values["--sandbox"]
        var targets: [String: Target] = [:]
        for file in args.positionals {
            let name = try BlueprintDecoder.load(path: file, types: args.components.providerTypes).name
            if let other = targets[name] {
                throw UsageError(message: "\(file) and \(other.file) are both blueprint \(quoted(name)); give each blueprint once", command: Help.reconcile)
            }
            targets[name] = Target(file: file, blueprint: name)
        }
        if fixed != nil && targets.count > 1 {
            throw UsageError(message: "--sandbox names one sandbox; with several blueprints, each is reconciled with its own sandboxes", command: Help.reconcile)
        }
        let components = args.components
        let state = args.values["--state"]
        let shared = try components.stateBackends.kind(of: state)
        let replica = args.values["--replica"] ?? "\(ProcessInfo.processInfo.hostName)-\(getpid())"
        guard Name.isValid(replica) else {
            throw UsageError(message: "--replica \(quoted(replica)) is not a name (letters, digits, '_', '.', '-'; a letter first)", command: Help.reconcile)
        }
        let fleet = try state.flatMap { state throws(StateError) in shared.isShared ? try shared.fleet(at: state, replica: replica, options: components.stateOptions) : nil }
        let lockTTL = components.stateOptions.lockTTL
        let balanceEvery = fleet == nil ? every : .seconds(max(1, lockTTL)) / 2

        let output = try RunOutput(args, Help.reconcile, sandbox: nil)
        let stop = StopFlag()
        // A second signal still gives the claims back (bounded), so that others take them over
        // at once instead of a TTL later.
        var release: (@Sendable () async -> Void)?
        if let fleet { release = { await fleet.leave() } }
        Signals.shared.beginApply(stop, onSecondSignal: release)
        var replicaLoop = Loop(replica: replica, every: every, concurrency: concurrency, maxCycles: maxCycles, output: output)
        // The cycles running at once share --parallelism: each action holds one of this gate's
        // slots, so a busy sandbox can use what an idle one leaves.
        let slots = ProviderGate(limits: ProviderLimits(concurrency: parallelism))
        let (events, post) = AsyncStream.makeStream(of: Event.self)
        let watcher = fleet.map { fleet in
            Task {
                while !Task.isCancelled {
                    await fleet.awaitChange(until: .now + .seconds(30))
                    post.yield(.fleetChanged)
                }
            }
        }
        await withDiscardingTaskGroup { group in
            var iterator = events.makeAsyncIterator()
            var work: [String: Target] = [:]
            var nextBalance = ContinuousClock.now
            while true {
                let now = ContinuousClock.now
                if stop.isSet || replicaLoop.done {
                    if replicaLoop.schedule.running == 0 { break }
                } else {
                    if now >= nextBalance {
                        do {
                            work = try await workList(targets, fixed: fixed, fleet: fleet)
                            let mine = try await fleet?.balance(work.keys.sorted()) ?? work.keys.sorted()
                            replicaLoop.hold(Set(mine).intersection(work.keys), now: .now)
                            replicaLoop.balanceFailed = false
                            nextBalance = .now + balanceEvery
                        } catch {
                            replicaLoop.balanceFailed = true
                            nextBalance = .now + balanceEvery
                            log(output, replica, "error: \(ReconcileCommand.describe(error)); trying again in \(DurationText.format(balanceEvery))")
                            output.emit(.warning("replica \(replica): \(ReconcileCommand.describe(error))"))
                        }
                    }
                    while replicaLoop.schedule.running < concurrency, let name = replicaLoop.take(now: .now) {
                        guard let target = work[name] else {
                            replicaLoop.finished(name, .failed("sandbox \(name): no longer in the work list (a bug in firm)", terminal: false), now: .now)
                            continue
                        }
                        group.addTask {
                            let started = ContinuousClock.now
                            let outcome: Outcome
                            do {
                                let cycle = { @Sendable in
                                    try await ReconcileCommand.runCycle(file: target.file, args: args, parallelism: parallelism, shared: slots, stop: stop, sandbox: name,
                                                                        events: output.events).line
                                }
                                let line = if let fleet { try await fleet.withReplicaLease(cycle) } else { try await cycle() }
                                outcome = .succeeded("sandbox \(name) (\(target.blueprint)): \(line) in \(DurationText.format(ContinuousClock.now - started))")
                            } catch {
                                outcome = .failed("sandbox \(name) (\(target.blueprint)): error: \(ReconcileCommand.describe(error))", terminal: ReconcileCommand.isTerminal(error))
                            }
                            post.yield(.finished(name, outcome))
                        }
                    }
                    replicaLoop.report(now: .now)
                }
                // Wake for the next deadline (when a slot is free), the next balance, or at
                // least every 100 ms to see a stop.
                var wake = min(nextBalance, ContinuousClock.now + .milliseconds(100))
                if replicaLoop.schedule.running < concurrency, let due = replicaLoop.schedule.nextDue { wake = min(wake, due) }
                let sleeper = Task {
                    if (try? await Task.sleep(until: wake, clock: .continuous)) != nil { post.yield(.wake) }
                }
                let event = await iterator.next()
                sleeper.cancel()
                switch event {
                case .finished(let name, let outcome): replicaLoop.finished(name, outcome, now: .now)
                case .fleetChanged: nextBalance = .now
                case .wake, nil: break
                }
            }
        }
        watcher?.cancel()
        await fleet?.leave()
        Signals.shared.endApply()
        let written = await output.close()
        log(output, replica, "stopped after \(replicaLoop.cycles) sandbox cycle\(replicaLoop.cycles == 1 ? "" : "s")" + (replicaLoop.lastFailed ? "; the last one failed" : ""))
        if replicaLoop.lastFailed || !written { throw Exit(.failure) }
    }

    /// About the cores: the sandboxes a replica reconciles at once by default.
    static var defaultConcurrency: Int { max(2, ProcessInfo.processInfo.activeProcessorCount) }

    /// The replica's loop state: the schedule, its pace, and what each sandbox's last cycle did.
    struct Loop {
        let replica: String
        let concurrency: Int
        let maxCycles: Int
        var schedule: FleetSchedule
        var pace: FleetPace
        var cycleCount: [String: Int] = [:]
        var failedLast: Set<String> = []
        var balanceFailed = false
        var cycles = 0
        var started: [String: ContinuousClock.Instant] = [:]
        let output: RunOutput

        init(replica: String, every: Duration, concurrency: Int, maxCycles: Int, output: RunOutput) {
            self.output = output
            self.replica = replica
            self.concurrency = concurrency
            self.maxCycles = maxCycles
            schedule = FleetSchedule(every: every)
            pace = FleetPace(every: every, now: .now)
        }

        /// With --max-cycles: every sandbox held has had that many cycles.
        var done: Bool {
            maxCycles > 0 && !schedule.held.isEmpty && schedule.held.allSatisfy { (cycleCount[$0] ?? 0) >= maxCycles }
        }

        /// Whether the last cycle of a sandbox held, or the last balance, failed.
        var lastFailed: Bool { balanceFailed || schedule.held.contains { failedLast.contains($0) } }

        mutating func hold(_ mine: Set<String>, now: ContinuousClock.Instant) {
            let (_, handed) = schedule.hold(mine, now: now)
            for name in handed {
                pace.forget(name)
                log(output, replica, "sandbox \(name): handed to another replica")
            }
        }

        mutating func take(now: ContinuousClock.Instant) -> String? {
            guard let name = schedule.take(now: now) else { return nil }
            pace.started(name, now: now)
            started[name] = now
            cycles += 1
            cycleCount[name, default: 0] += 1
            return name
        }

        mutating func finished(_ name: String, _ outcome: Outcome, now: ContinuousClock.Instant) {
            let start = started.removeValue(forKey: name) ?? now
            switch outcome {
            case .succeeded(let line):
                failedLast.remove(name)
                schedule.succeeded(name, started: start)
                log(output, replica, line)
            case .failed(let line, let terminal):
                failedLast.insert(name)
                let wait = schedule.failed(name, started: start, terminal: terminal)
                log(output, replica, line + "; retrying in \(DurationText.format(wait))")
            }
            if let events = output.events?.about(name) {
                let (line, failed, terminal) = switch outcome {
                case .succeeded(let line): (line, false, false)
                case .failed(let line, let terminal): (line, true, terminal)
                }
                events.emit(.cycle(number: cycleCount[name] ?? 0, result: line, failed: failed, terminal: terminal, elapsed: now - start))
            }
        }

        /// The status line once a minute (the first after ten intervals), and a warning when
        /// the period is not kept.
        mutating func report(now: ContinuousClock.Instant) {
            guard let report = pace.report(now: now) else { return }
            let every = schedule.every
            let period = report.period.map(DurationText.format) ?? "-"
            log(output, replica, "status: \(schedule.held.count) sandbox\(schedule.held.count == 1 ? "" : "es"), up to \(concurrency) at once; "
                + "period \(period) (every \(DurationText.format(every))), \(String(format: "%.1f", report.cyclesPerSecond)) sandbox cycles/s")
            if report.saturated {
                output.emit(.saturated(period: report.period, longest: report.longest, every: every, concurrency: concurrency))
                log(output, replica, "warning: saturated: the period achieved is \(period) (longest \(DurationText.format(report.longest))), not \(DurationText.format(every)): "
                    + "run more replicas, or raise --concurrency (now \(concurrency))")
            }
        }
    }

    /// The sandboxes to reconcile, with their blueprints: for each blueprint, the sandboxes the
    /// prefix records for it, else the one named for it; or the one --sandbox names.
    static func workList(_ targets: [String: Target], fixed: String?, fleet: (any FleetClaims)?) async throws -> [String: Target] {
        if let fixed, let target = targets.values.first { return [try SandboxHome.sandbox(fixed, blueprint: target.blueprint): target] }
        let recorded = try await fleet?.sandboxes() ?? [:]
        var work: [String: Target] = [:]
        for target in targets.values {
            let mine = recorded.filter { $0.value == target.blueprint }.keys
            if mine.isEmpty { work[target.blueprint] = target } else { for name in mine { work[name] = target } }
        }
        return work
    }

    static func log(_ output: RunOutput, _ replica: String, _ line: String) {
        output.out("\(Timestamp.precise()) replica \(replica): \(line)")
    }
}
