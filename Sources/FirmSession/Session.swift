import Foundation
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution

/// One blueprint with its state and drivers: the steps every command is made of. It returns
/// values and throws typed errors; the CLI decides what to print.
public struct Session: Sendable {
    public let blueprint: Blueprint
    /// The blueprint file as the user named it.
    public let blueprintFile: String
    /// The sandbox: what the state is named after, the VMs are tagged with, and drivers are
    /// told of. `--sandbox`, by default the blueprint's name.
    public let sandbox: String
    /// The folder the default state and relative provider paths are found in (SandboxHome).
    public let home: String
    /// Where the state lives.
    public let backend: any StateBackend
    public let providers: [String: any CloudProvider]
    /// Every secret value known to this run, redacted from whatever drivers return.
    public let secrets: Secrets
    /// The provider types and state backends this process knows.
    public let components: Components
    /// The state's read-only load, begun while the blueprint was checked (see `readAhead`).
    private var readAhead: StateReadAhead?

    /// Loads and validates the blueprint, then starts its drivers.
    /// `driverLog` receives the lines process drivers write on stderr (for `-v`).
    /// With `readAhead`, for commands that settle the state without its lock, the state starts
    /// loading on the other core as soon as the blueprint has parsed; the first `settle` uses it.
    /// `preread` is the blueprint file as a command already read and parsed it.
    public init(blueprintFile: String, statePath: String?, components: Components, sandbox: String? = nil, driverLog: (@Sendable (String) -> Void)? = nil,
                readAhead: Bool = false, preread: ParsedFile? = nil) throws {
        let home = try SandboxHome.folder(forBlueprint: blueprintFile)
        var early: StateReadAhead?
        let blueprint: Blueprint
        do {
            blueprint = try BlueprintDecoder.load(path: blueprintFile, types: components.providerTypes, preread: preread, parsed: { root in
                if readAhead { early = StateReadAhead.start(root: root, sandbox: sandbox, statePath: statePath, home: home, components: components) }
            })
        } catch {
            early?.cancel()
            throw error
        }
        try self.init(blueprint: blueprint, blueprintFile: blueprintFile, statePath: statePath, components: components, sandbox: sandbox, home: home,
                      driverLog: driverLog, early: early)
    }

    /// `statePath` is `--state` as given: a path or a backend's URL (such as etcd://…), or nil
    /// for the sandbox's default state in the blueprint's home folder. `sandbox` is `--sandbox`
    /// as given; without it, `FIRM_SANDBOX` or the blueprint's name.
    public init(blueprint: Blueprint, blueprintFile: String, statePath: String?, components: Components, sandbox: String? = nil,
                driverLog: (@Sendable (String) -> Void)? = nil) throws {
        try self.init(blueprint: blueprint, blueprintFile: blueprintFile, statePath: statePath, components: components, sandbox: sandbox,
                      home: try SandboxHome.folder(forBlueprint: blueprintFile), driverLog: driverLog, early: nil)
    }

    /// The sandbox's name and state backend; `early`, a state read begun for a sandbox, is kept
    /// when the name agrees and its backend used, else dropped.
    private init(blueprint: Blueprint, blueprintFile: String, statePath: String?, components: Components, sandbox: String?, home: String,
                 driverLog: (@Sendable (String) -> Void)?, early: StateReadAhead?) throws {
        let name: String
        do { name = try SandboxHome.sandbox(sandbox, blueprint: blueprint.name) } catch {
            early?.cancel()
            throw error
        }
        let kept = early?.sandbox == name ? early : nil
        if kept == nil { early?.cancel() }
        try self.init(blueprint: blueprint, blueprintFile: blueprintFile,
                      backend: kept?.backend ?? components.openState(statePath, sandbox: name, home: home), components: components,
                      baseDirectory: home, sandbox: name, driverLog: driverLog)
        readAhead = kept
    }

    public init(blueprint: Blueprint, blueprintFile: String, backend: any StateBackend, components: Components, baseDirectory: String,
                sandbox: String? = nil, driverLog: (@Sendable (String) -> Void)? = nil) throws {
        self.blueprint = blueprint
        self.components = components
        self.blueprintFile = blueprintFile
        self.backend = backend
        self.sandbox = sandbox ?? blueprint.name
        self.home = baseDirectory
        let secrets = Secrets(blueprint.secretValues(.process))
        self.secrets = secrets
        self.providers = try ProviderFactory.make(blueprint, types: components.providerTypes, sandbox: self.sandbox, baseDirectory: baseDirectory, secrets: secrets, driverLog: driverLog)
    }

    /// What a plan found before planning: recovered intents and refresh differences.
    public struct Preview: Sendable {
        public var state: State
        public var warnings: [String]
        public var recovered: [Recovery.Finding]
        public var drift: [Refresher.Note]
        public var plan: Plan
        public var running: RunningApply?
        /// The line to print when the sandbox has no state yet (`newStateNote`).
        public var newState: String?
        /// The providers not started, with the variables they need (`unstartable`).
        public var unstarted: [String: [String]] = [:]
    }

    /// Shuts every driver down (a process driver's child exits).
    public func shutdown() async {
        for name in providers.keys.sorted() { await providers[name]!.shutdown() }
    }

    /// Checks the settings and credentials (CloudShell's get_inventory) of every provider the
    /// blueprint or the state uses; a process driver is started and its handshake checked.
    /// `skipping` names providers a plan does not start (`unstartable`).
    public func validateProviders(_ state: State, skipping: Set<String> = []) async throws {
        var used = Set(blueprint.apps.values.map(\.deploymentPath.provider)).union(blueprint.networks.values.map(\.provider))
        used.formUnion(state.apps.values.map(\.provider))
        used.formUnion(state.infra.keys)
        for name in used.subtracting(skipping).sorted() {
            guard let provider = providers[name] else { continue }
            try await RetryPolicy(provider).run { _ in try await provider.validate() }
        }
    }

    /// What the drivers of the L3 providers with prepared infrastructure can do: the only
    /// capability planning needs is whether one subnet can be cleaned up.
    public func capabilities(for state: State) async throws -> [String: ProviderCapabilities] {
        var result: [String: ProviderCapabilities] = [:]
        for name in state.infra.keys.sorted() {
            if let provider = providers[name] { result[name] = try await provider.capabilities() }
        }
        return result
    }

    /// The state as loaded, then with interrupted intents settled, then refreshed from the
    /// providers: all in memory, with no lock taken and nothing written.
    public struct Settled: Sendable {
        public var loaded: LoadedState
        public var recovered: State
        public var refreshed: State
        public var findings: [Recovery.Finding]
        public var notes: [Refresher.Note]
        /// Set when another firm holds the lock: its open intents are in flight, not crashed.
        public var running: RunningApply?
        /// The providers not started, with the variables they need (`unstartable`).
        public var unstarted: [String: [String]] = [:]
    }

    /// An apply (or other writer) running while a reader looks at the state.
    public struct RunningApply: Sendable, Equatable {
        /// Who holds the lock, when its file can be read.
        public var holder: LockInfo?
        /// Its open intents: provider calls in flight right now.
        public var inFlight: [Intent]

        /// One paragraph for people.
        public var text: String {
            var out = "An apply is running"
            if let h = holder { out += " (\(h.operation) by \(h.who), pid \(h.pid), since \(h.created))" }
            out += ": this reflects the state as it was a moment ago"
            if !inFlight.isEmpty {
                let list = inFlight.map { "\($0.operation.rawValue) app.\($0.app)" }
                out += "; \(inFlight.count) provider call\(inFlight.count == 1 ? " is" : "s are") in flight, not interrupted: "
                    + list.prefix(10).joined(separator: ", ") + (list.count > 10 ? ", …" : "")
            }
            return out + "."
        }
    }

    /// Loads the state read-only, recovers and (when `refresh`) refreshes it in memory.
    /// With `requireState`, a state that isn't there is refused before any provider is asked.
    public func settle(refresh: Bool, parallelism: Int = 10, requireState: Bool = false) async throws -> Settled {
        if refresh { for provider in providers.values { provider.prefetch() } }
        let loaded: LoadedState
        if let early = readAhead?.take() {
            loaded = try await early.value
        } else {
            loaded = try await backend.load(blueprint: blueprint.name, writer: false)
        }
        if requireState { try requireExisting(loaded) }
        secrets.add(loaded.state.infra.values.map(\.keys))
        // A provider the state records nothing on, whose settings need unset variables, is not
        // started: the plan notes it, and apply needs the variables.
        let unstarted = refresh ? unstartable(loaded.state) : [:]
        if refresh { try await validateProviders(loaded.state, skipping: Set(unstarted.keys)) }
        // While another firm holds the lock, its open intents are calls in flight: they are
        // neither recovered nor presented as interrupted.
        let lock = await backend.peek()
        let running = lock.held ? RunningApply(holder: lock.holder, inFlight: loaded.state.intents.keys.sorted().map { loaded.state.intents[$0]! }) : nil
        let steps = try await recoverAndRefresh(loaded.state, recover: running == nil, refresh: refresh, parallelism: parallelism)
        return Settled(loaded: loaded, recovered: steps.recovered, refreshed: steps.refreshed, findings: steps.findings, notes: steps.notes,
                       running: running, unstarted: unstarted)
    }

    /// Settles `state` in memory: recovery (when `recover`), then a refresh (when `refresh`).
    /// Returns the state after each step, with the changes that lead there.
    private func recoverAndRefresh(_ state: State, recover: Bool, refresh: Bool, parallelism: Int) async throws
        -> (recovered: State, refreshed: State, changes: [StateChange], findings: [Recovery.Finding], notes: [Refresher.Note]) {
        var recovered = state
        var changes: [StateChange] = []
        var findings: [Recovery.Finding] = []
        if recover {
            (changes, findings) = try await Recovery.recover(state, sandbox: sandbox, providers: providers)
            for change in changes { recovered.apply(change) }
        }
        var refreshed = recovered
        var notes: [Refresher.Note] = []
        if refresh {
            let (refreshChanges, n) = try await Refresher.refresh(recovered, providers: providers, parallelism: parallelism)
            for change in refreshChanges { refreshed.apply(change) }
            changes += refreshChanges
            notes = n
        }
        return (recovered, refreshed, changes, findings, notes)
    }

    /// Settles the state in memory (no lock, no writes) and plans.
    public func preview(refresh: Bool, destroy: Bool = false, parallelism: Int = 10) async throws -> Preview {
        let settled = try await settle(refresh: refresh, parallelism: parallelism)
        var plan = try await plan(for: settled.refreshed, destroying: destroy)
        plan.serial = settled.loaded.state.serial
        plan.location = location
        if destroy { plan.blueprintDigest = blueprint.digest }
        return Preview(state: settled.refreshed, warnings: settled.loaded.warnings, recovered: settled.findings, drift: settled.notes, plan: plan,
                       running: settled.running, newState: newStateNote(settled.loaded, applying: false), unstarted: settled.unstarted)
    }

    /// Where the blueprint and the state are, as absolute paths, for saved plans.
    public var location: PlanLocation {
        PlanLocation(blueprint: FilePaths.absolute(blueprintFile), state: backend.location.contains("://") ? backend.location : FilePaths.absolute(backend.location),
                     sandbox: sandbox)
    }

    /// The blueprint with no apps, networks or connectors: what `destroy` converges to.
    public var emptied: Blueprint {
        Blueprint(name: blueprint.name, providers: blueprint.providers)
    }

    /// A state opened for changes: locked, recovered and (optionally) refreshed, with every
    /// change so far durable.
    public struct Writable: Sendable {
        public let lock: any StateLease
        public let recorder: StateRecorder
        public let loadedSerial: Int
        public let loadedLineage: String
        public let warnings: [String]
        public let recovered: [Recovery.Finding]
        public let drift: [Refresher.Note]
        /// How long taking the lock waited for another holder (with a lock timeout).
        public var lockWaited: Duration = .zero
    }

    /// A locked state, recovered and refreshed in memory: nothing is written yet, so a command
    /// can still refuse (a stale plan, a missing secret, a "no" at the prompt) having changed
    /// nothing. `begin` makes it writable and records what settling found.
    public struct Locked: Sendable {
        public let lock: any StateLease
        public let loaded: LoadedState
        /// The state with the changes below applied.
        public let state: State
        /// What recovery and refresh found, recorded by `begin`.
        public let changes: [StateChange]
        public let recovered: [Recovery.Finding]
        public let drift: [Refresher.Note]
        /// How long taking the lock waited for another holder (with a lock timeout).
        public var lockWaited: Duration = .zero
    }

    /// Locks the state for `operation`, then recovers and refreshes it in memory.
    /// With `requireState`, a state that isn't there is refused before any provider is asked.
    public func lockAndSettle(operation: String, lockTimeout: Duration?, refresh: Bool, parallelism: Int = 10,
                              requireState: Bool = false) async throws -> Locked {
        // Checked before the lock too, which would make the state's folder and lock file.
        if requireState { try requireExisting(try await backend.load(blueprint: blueprint.name, writer: false)) }
        let asked = ContinuousClock.now
        let lock = try await backend.lock(operation: operation, timeout: lockTimeout)
        let waited = ContinuousClock.now - asked
        do {
            for provider in providers.values { provider.prefetch() }
            let loaded = try await backend.load(blueprint: blueprint.name, writer: true)
            if requireState { try requireExisting(loaded) }
            secrets.add(loaded.state.infra.values.map(\.keys))
            try await validateProviders(loaded.state)
            let steps = try await recoverAndRefresh(loaded.state, recover: true, refresh: refresh, parallelism: parallelism)
            var locked = Locked(lock: lock, loaded: loaded, state: steps.refreshed, changes: steps.changes, recovered: steps.findings, drift: steps.notes)
            locked.lockWaited = waited
            return locked
        } catch {
            lock.release()
            throw error
        }
    }

    /// Opens the journal of a locked state and records what settling found, durably, with the
    /// sandbox's record: its providers as applied, and, with `ttl`, an expiry that long from now.
    public func begin(_ locked: Locked, ttl: Duration? = nil) async throws -> Writable {
        let now = try SandboxClock.now()
        let loaded = locked.loaded.withLineage
        var record = sandboxRecord(updating: locked.state.sandbox, now: now)
        if let ttl { record.expires = try SandboxClock.adding(ttl, to: now) }
        let recorder = StateRecorder(loaded, journal: try await backend.openJournal(after: loaded))
        let changes = locked.changes + (record == locked.state.sandbox ? [] : [StateChange.putSandbox(record)])
        if !changes.isEmpty { try await recorder.record(changes) }
        return Writable(lock: locked.lock, recorder: recorder, loadedSerial: locked.loaded.state.serial, loadedLineage: locked.loaded.state.lineage,
                        warnings: locked.loaded.warnings, recovered: locked.recovered, drift: locked.drift, lockWaited: locked.lockWaited)
    }

    /// The sandbox's record as `begin` writes it: `existing` (or a new one made `now`) with
    /// this blueprint's providers, file and home.
    func sandboxRecord(updating existing: SandboxRecord?, now: String) -> SandboxRecord {
        var record = existing ?? SandboxRecord(name: sandbox, blueprintFile: "", providers: .object(JSONObject()), home: FilePaths.absolute(home), created: now)
        record.name = sandbox
        if let source = blueprint.providersSource {
            record.providers = source
            record.blueprintFile = FilePaths.absolute(blueprintFile)
            record.home = FilePaths.absolute(home)
        }
        return record
    }

    /// Locks the state for `operation`, then recovers and refreshes it durably.
    public func open(operation: String, lockTimeout: Duration?, refresh: Bool, parallelism: Int = 10, requireState: Bool = false) async throws -> Writable {
        let locked = try await lockAndSettle(operation: operation, lockTimeout: lockTimeout, refresh: refresh, parallelism: parallelism,
                                             requireState: requireState)
        do {
            return try await begin(locked)
        } catch {
            locked.lock.release()
            throw error
        }
    }

    /// Runs `plan` and compacts the state afterwards. The lock stays held; release it after.
    /// `order` is for firm-bench's comparison only. `progress` and `roundEnd` are the executor's.
    public func execute(_ plan: Plan, on writable: Writable, blueprintForRun: Blueprint? = nil, parallelism: Int, shared: ProviderGate? = nil, stop: StopFlag,
                        environment: Environment = .process, order: ExecutionOrder = .criticalPath,
                        progress: @escaping @Sendable (ExecutionEvent) -> Void,
                        roundEnd: @escaping @Sendable () -> Void = {}) async throws -> ExecutionSummary {
        secrets.add(blueprint.secretValues(environment))
        let started = ContinuousClock.now
        let runner = ActionRunner(blueprint: blueprintForRun ?? blueprint, sandbox: sandbox, providers: providers, recorder: writable.recorder, environment: environment) {
            action, attempt, tries, delay, message in
            progress(ExecutionEvent(action: action, kind: .retrying(attempt: attempt, of: tries, delay: delay, message: message),
                                    elapsed: ContinuousClock.now - started))
        }
        let costs = ActionCosts(blueprintForRun ?? blueprint)
        var summary = await Executor(parallelism: parallelism, runner: runner, stop: stop, costs: costs, order: order, shared: shared).run(plan, progress: progress, roundEnd: roundEnd)
        // The finishing writes run in a task of their own, which the run's cancellation (a second
        // SIGINT, --stop-timeout) does not reach: a cancelled call to a remote backend fails at
        // once, and the results that are in must still be compacted.
        // Stopped with nothing failed is "interrupted" in `firm sandboxes`, not "failed".
        let interrupted = summary.failed.isEmpty && !summary.notStarted.isEmpty
        let failed = !summary.actionsSucceeded && !interrupted, fatal = summary.fatal, target = blueprintForRun ?? blueprint
        let saveError = try await Task { () async throws -> String? in
            var saveError: String?
            if !fatal {
                // Every result is already durable in the journal; a snapshot that can't be written
                // (full disk, read-only folder) loses nothing, and the summary must still be shown.
                do { try await finish(writable, blueprint: target, failed: failed, interrupted: interrupted) } catch let error as StateError {
                    saveError = "\(error)"
                } catch {
                    await writable.recorder.close()
                    throw error
                }
            }
            await writable.recorder.close()
            return saveError
        }.value
        summary.saveError = saveError
        return summary
    }

    /// Records the VLAN ids of L2 networks (so `auto` ids stay stable even before anything
    /// connects), forgets networks nothing uses any more, and compacts the state.
    /// The sandbox's record notes the time of this apply, and whether actions failed or the run
    /// was stopped before every action had run.
    public func finish(_ writable: Writable, blueprint: Blueprint, failed: Bool = false, interrupted: Bool = false) async throws {
        let state = writable.recorder.state
        let topology = Topology.resolve(blueprint, state: state, reserved: await reservedForFinish())
        var changes = Self.vlanRecords(topology, state)
        if var record = state.sandbox {
            record.lastApplied = try SandboxClock.now()
            record.failed = failed
            record.interrupted = interrupted
            changes.append(.putSandbox(record))
        }
        let used = Set(state.apps.values.flatMap { $0.connections.keys })
        for (name, network) in state.networks.sorted(by: { $0.key < $1.key })
        where network.vlan != nil && topology.networks[name] == nil && !used.contains(name) {
            changes.append(.removeNetwork(name))
        }
        if !changes.isEmpty { try await writable.recorder.record(changes) }
        try await writable.recorder.compact()
        try await syncVLANPool(writable.recorder.state)
    }

    /// Every environment variable that `{"env": …}` attributes of apps the plan deploys need and
    /// that is not set.
    public func missingEnvironment(for plan: Plan, _ environment: Environment = .process) -> [String] {
        var missing: Set<String> = []
        for action in plan.actions where action.type == .deploy || action.type == .replace {
            guard let app = action.appName.flatMap({ blueprint.apps[$0] }) else { continue }
            for case .env(let name) in app.attributes.values where environment[name] == nil { missing.insert(name) }
            for case .env(let name) in app.deploymentPath.attributes.values where environment[name] == nil { missing.insert(name) }
        }
        return missing.sorted()
    }
}
