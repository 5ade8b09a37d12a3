import Foundation
import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift

/// `firm reconcile --every 1m --state etcd://… blueprints/*.json`: each blueprint with its
/// sandboxes (those the prefix records for it, else one named for it), shared by every replica
/// that runs the same command. Every tick (the shorter of --every and half the lock TTL) a
/// replica balances its claims (on etcd), then reconciles each claimed sandbox that is due:
/// one claimed just now at once, the others every --every. Each sandbox's cycle logs one line
/// naming the replica. On a local state (several blueprints, no etcd) there are no claims:
/// one process reconciles them all.
enum ReconcileFleet {
    struct Target {
        var file: String
        var blueprint: String
    }

    static func run(_ args: Arguments) async throws {
        guard let every = try args.duration("--every", Help.reconcile), every >= .milliseconds(100) else {
            throw UsageError(message: "--every is required, at least 100ms, such as --every 30s", command: Help.reconcile)
        }
        let parallelism = try args.int("--parallelism", default: 10, in: 1...10_000, Help.reconcile)
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
        let tick = fleet == nil ? every : min(every, .seconds(max(1, lockTTL)) / 2)

        let stop = StopFlag()
        Signals.shared.beginApply(stop)
        var due: [String: ContinuousClock.Instant] = [:]
        var failures: [String: Int] = [:]
        var held: Set<String> = []
        var cycle = 0
        var lastFailed = false
        while !stop.isSet && (maxCycles == 0 || cycle < maxCycles) {
            cycle += 1
            let tickStarted = ContinuousClock.now
            var failedThisTick = false
            do {
                let work = try await workList(targets, fixed: fixed, fleet: fleet)
                let mine = try await fleet?.balance(work.keys.sorted()) ?? work.keys.sorted()
                for name in Set(mine).subtracting(held).sorted() { due[name] = .now }
                for name in held.subtracting(mine).sorted() {
                    log(replica, "sandbox \(name): handed to another replica")
                    due[name] = nil
                }
                held = Set(mine)
                for name in mine where !stop.isSet {
                    guard let target = work[name], let when = due[name], when <= ContinuousClock.now else { continue }
                    let started = ContinuousClock.now
                    do {
                        let line = try await ReconcileCommand.runCycle(file: target.file, args: args, parallelism: parallelism, stop: stop, sandbox: name)
                        failures[name] = nil
                        due[name] = started + every
                        log(replica, "sandbox \(name) (\(target.blueprint)): \(line) in \(DurationText.format(ContinuousClock.now - started))")
                    } catch {
                        let n = (failures[name] ?? 0) + 1
                        failures[name] = n
                        failedThisTick = true
                        let wait = min(every * (1 << min(n * (ReconcileCommand.isTerminal(error) ? 3 : 1), 16)), ReconcileCommand.backoffCap)
                        due[name] = started + wait
                        log(replica, "sandbox \(name) (\(target.blueprint)): error: \(ReconcileCommand.describe(error)); retrying in \(DurationText.format(wait))")
                    }
                }
            } catch {
                failedThisTick = true
                log(replica, "error: \(ReconcileCommand.describe(error)); trying again in \(DurationText.format(tick))")
            }
            lastFailed = failedThisTick
            if maxCycles != 0 && cycle >= maxCycles { break }
            let deadline = tickStarted + tick
            while !stop.isSet && ContinuousClock.now < deadline {
                try? await Task.sleep(for: min(.milliseconds(100), deadline - ContinuousClock.now))
            }
        }
        Signals.shared.endApply()
        await fleet?.leave()
        log(replica, "stopped after \(cycle) cycle\(cycle == 1 ? "" : "s")" + (lastFailed ? "; the last one failed" : ""))
        if lastFailed { throw Exit(.failure) }
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

    static func log(_ replica: String, _ line: String) {
        Terminal.out("\(Timestamp.now()) replica \(replica): \(line)")
    }
}
