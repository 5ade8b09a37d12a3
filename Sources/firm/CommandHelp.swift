import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift

/// A command's usage, summary, details and options, for `firm help` and `--help`.
struct CommandHelp {
    var name: String
    var usage: String
    var summary: String
    var details: String
    var options: [OptionSpec]

    var text: String {
        var out = "Usage: \(usage)\n\n\(summary)\n"
        if !details.isEmpty { out += "\n\(details)\n" }
        if !options.isEmpty {
            out += "\nOptions:\n"
            for o in options where o.name != "--help" {
                let left = o.value.map { "\(o.name) \($0)" } ?? o.name
                out += "  " + left.padding(toLength: max(24, left.count + 2), withPad: " ", startingAt: 0) + o.help + "\n"
            }
            out += "  --help                  Show this help.\n"
        }
        return out
    }
}

extension OptionSpec {
    static let help = OptionSpec(name: "--help", value: nil, help: "Show this help.")
    static let state = OptionSpec(name: "--state", value: "PATH|URL", help: "The state: a file, or etcd://HOST:PORT[,HOST:PORT…]/PREFIX (etcds:// for TLS: $FIRM_ETCD_CACERT, $FIRM_ETCD_CERT, $FIRM_ETCD_KEY); default $FIRM_STATE, else state/<sandbox>.state.json in the blueprint's home, the nearest folder at or above it that holds state/. Encrypted at rest with $FIRM_STATE_KEY, $FIRM_STATE_PASSPHRASE or $FIRM_STATE_KEY_COMMAND ($FIRM_STATE_KEY_FALLBACK while rotating).")
    static let lockTTL = OptionSpec(name: "--lock-ttl", value: "DURATION", help: "With an etcd state: the lock's lease TTL, which a killed holder's lock outlives at most (default 15s).")
    static let sandbox = OptionSpec(name: "--sandbox", value: "NAME", help: "The sandbox: names the state and tags the VMs (default: $FIRM_SANDBOX, else the blueprint's name).")
    static let json = OptionSpec(name: "--json", value: nil, help: "Print JSON instead of text.")
    static let refresh = OptionSpec(name: "--refresh", value: nil, help: "Ask the providers what is real first (default true; --refresh=false skips it).")
    static let autoApprove = OptionSpec(name: "--auto-approve", value: nil, help: "Do not ask for confirmation (required when stdin is not a terminal).")
    static let parallelism = OptionSpec(name: "--parallelism", value: "N", help: "Run at most N provider actions at once (default 10).")
    static let refreshParallelism = OptionSpec(name: "--parallelism", value: "N", help: "Run at most N refresh batches at once (default 10).")
    static let lockTimeout = OptionSpec(name: "--lock-timeout", value: "DURATION", help: "Wait this long for a held state lock, such as 30s (default: fail at once).")
    static let stopTimeout = OptionSpec(name: "--stop-timeout", value: "DURATION", help: "After SIGINT or SIGTERM, how long running actions may finish before they are cancelled (default 10s).")
    static let verbose = OptionSpec(name: "--verbose", value: nil, help: "Show what process drivers write on stderr, and each command the linux provider runs (-v).")
    static let verboseActions = OptionSpec(name: "--verbose", value: nil,
                                           help: "Show what process drivers write on stderr, and one line per action even where a long apply on a terminal shows a status line (-v).")
    static let events = OptionSpec(name: "--json", value: nil,
                                   help: "Print newline-delimited JSON events (format event/1, docs/events.md) instead of text; errors stay text on stderr.")
    static let jsonInto = OptionSpec(name: "--json-into", value: "FILE", help: "Write the JSON event stream to FILE, and show the usual text.")
}

enum Help {
    static let commands: [CommandHelp] = [validate, catalog, snapshot, plan, apply, destroy, drift, refresh, reconcile, show, exec, graph, schema, state, importVMs, sandboxes, gc, forceUnlock, sim, driver, version, help]

    static let validate = CommandHelp(
        name: "validate", usage: "firm validate BLUEPRINT [--online] [--json]",
        summary: "Check a blueprint file and report every problem, with its line, column and JSON path.",
        details: """
            Without --online nothing is contacted and nothing is written. With --online, each provider's
            catalog is read (docs/catalog.md) and every app's hardware profile, image, realm and values
            are checked against it, with a did-you-mean; a catalog that can't be read fails. Nothing is
            written either way. Exits 0 when the blueprint is valid, 1 when it is not.
            """,
        options: [OptionSpec(name: "--online", value: nil, help: "Also check each app against its provider's catalog (contacts the providers)."), .json, .help])

    static let catalog = CommandHelp(
        name: "catalog", usage: "firm catalog BLUEPRINT [PROVIDER] [--json]",
        summary: "List what each provider offers, in Deltacloud's terms: hardware profiles, images and realms.",
        details: """
            A hardware profile's CPU count, memory (MiB) and storage (GiB) are each a fixed value, a range
            (min..max, step) or an enumeration. The simulated cloud's catalog is in its settings (a standard
            one by default); EC2 lists instance types, the account's images and those its settings name,
            and availability zones; a process driver answers its `catalog` method. A provider without a
            catalog says so. The state is not read; nothing is written. See docs/catalog.md.
            """,
        options: [.json, .verbose, .help])

    static let snapshot = CommandHelp(
        name: "snapshot", usage: "firm snapshot BLUEPRINT app.NAME --name SNAP | firm snapshot list BLUEPRINT [--json] | firm snapshot delete BLUEPRINT SNAP",
        summary: "Save a deployed app as a snapshot, list the sandbox's snapshots, or delete one.",
        details: """
            firm snapshot BLUEPRINT app.NAME --name SNAP
                       Save the deployed app: the simulated cloud makes an image in its world, EC2 an AMI
                       (CreateImage, waiting until it is available, tagged firm:sandbox, firm:app and
                       firm:snapshot), a process driver answers its saveApp method (CloudShell's SaveApp).
                       The snapshot is recorded in the state before the provider is asked, and with its
                       artifacts after: killed in between, the next snapshot command finds what the
                       provider made by its tags and records it, never making a second.
            list       The sandbox's snapshots: name, app, provider, status, artifacts, and the apps that
                       deploy from each.
            delete SNAP  CloudShell's DeleteSavedApp (EC2: DeregisterImage and DeleteSnapshot of its EBS
                       snapshots), then forget it. Refused while an app of the state or the blueprint
                       deploys from it, naming the app.
            An app deploys from a snapshot with "image": {"snapshot": "SNAP"} in its deploymentPath's
            attributes; changing an app to a snapshot replaces it. Takes the state's lock.
            See docs/snapshots.md.
            """,
        options: [.state, .sandbox, .json, OptionSpec(name: "--name", value: "SNAP", help: "The snapshot's name (letters, digits, '-' and '_')."),
                  .lockTimeout, .lockTTL, .verbose, .help])

    static let plan = CommandHelp(
        name: "plan", usage: "firm plan BLUEPRINT [options]",
        summary: "Show what apply would do to make the world match the blueprint.",
        details: """
            The state is first recovered (intents left by an interrupted run are settled) and refreshed
            (the providers are asked what is real), in memory only: plan never writes the state.
            With --detailed-exitcode, exits 0 when there are no changes and 2 when there are.
            """,
        options: [.state, .sandbox, .json, OptionSpec(name: "--out", value: "FILE", help: "Save the plan, to apply later with `firm apply FILE`; encrypted like the state when a state key is set."),
                  OptionSpec(name: "--detailed-exitcode", value: nil, help: "Exit 2 when there are changes, 0 when there are none."),
                  OptionSpec(name: "--destroy", value: nil, help: "Plan the deletion of everything in the state."),
                  .refresh, .refreshParallelism, .verbose, .help])

    static let apply = CommandHelp(
        name: "apply", usage: "firm apply (BLUEPRINT | PLANFILE) [options]",
        summary: "Make the world match the blueprint, or carry out a saved plan.",
        details: """
            Takes the state lock, recovers and refreshes the state, plans, asks for confirmation, then runs
            the actions concurrently. Every result is durable before anything that depends on it starts.
            A saved plan carries a digest (an edited or truncated one is refused) and the absolute paths of
            its blueprint and state, so it applies from any folder; it is applied only if the blueprint and
            the state are still what it was made from, otherwise apply exits 4. A held lock exits 3. Missing
            {"env": …} variables, a stale plan or a "no" at the prompt refuse before anything is written.
            A failed action exits 1, after every action that does not depend on it has run; running apply
            again finishes the job. The first SIGINT, SIGTERM or SIGHUP, or a closed stdout (| head),
            starts nothing new, gives running actions --stop-timeout to finish, then cancels them (drivers
            receive the cancellation), saves the state and exits 130, 143, 129 or 141; a second signal
            exits at once (the next run recovers).
            On a terminal, a plan of more than 50 actions is shown as its summary line, and the apply as one
            status line rewritten in place (done, running, failed, left, time to go); only failures and the
            summary scroll. --verbose, or a stdout that is not a terminal, keeps one line per action.
            --json needs --auto-approve or a saved plan (the stream can't ask).
            """,
        options: [.state, .sandbox, .autoApprove, .parallelism, .refresh, .lockTimeout, .lockTTL, .stopTimeout,
                  OptionSpec(name: "--ttl", value: "DURATION", help: "The sandbox expires this long after this apply, such as 2h (default: the blueprint's ttl, else the expiry recorded, else never); `firm gc` destroys expired sandboxes."),
                  .events, .jsonInto,
                  OptionSpec(name: "--timeline", value: "FILE",
                             help: "Write the apply's actions to FILE in Chrome's Trace Event Format, for Perfetto or chrome://tracing: one lane per provider and slot, each action a span with its tries and its wait for durability."),
                  .verboseActions, .help])

    static let destroy = CommandHelp(
        name: "destroy", usage: "firm destroy (BLUEPRINT | --sandbox NAME | --state PATH) [options]",
        summary: "Delete every VM the state records for this sandbox.",
        details: """
            Works like apply with a blueprint that has no apps. The state file stays, empty. Without a
            BLUEPRINT, the sandbox's state (found from the current folder, or given by --state) supplies the
            providers as they were at its last apply, so a blueprint file that changed or went away does not
            matter; {"env": …} secrets are read from the environment.
            """,
        options: [.state, .sandbox, .autoApprove, .parallelism, .refresh, .lockTimeout, .lockTTL, .stopTimeout, .events, .jsonInto, .verboseActions, .help])

    static let show = CommandHelp(
        name: "show", usage: "firm show (BLUEPRINT | PLANFILE) [options]",
        summary: "Show the recorded state of a blueprint, or a saved plan.",
        details: "Sensitive values (passwords, keys, secrets from the environment) are masked.",
        options: [.state, .sandbox, .json, .help])

    static let exec = CommandHelp(
        name: "exec", usage: "firm exec BLUEPRINT app.NAME [options] -- COMMAND [ARG…]",
        summary: "Run a command inside a deployed app, for the provider types that can (linux: in its namespace).",
        details: """
            Finds the app's VM in the sandbox's state and runs COMMAND inside it, with firm's stdin, stdout and
            stderr, and exits with the command's status (128 + N when signal N ended it). On a `linux` provider
            it is `ip netns exec NAMESPACE COMMAND…` (root or CAP_SYS_ADMIN), such as
            `firm exec lab.json app.web -- ping -c 1 10.77.0.65`. Other types answer "not supported by provider
            type X". The state is read, not locked, and nothing is changed.
            """,
        options: [.state, .sandbox, .help])

    static let graph = CommandHelp(
        name: "graph", usage: "firm graph BLUEPRINT [--format dot|mermaid] [--plan FILE] [--type plan|state] [options]",
        summary: "Draw the plan's DAG, or the recorded world, in Graphviz DOT or Mermaid.",
        details: """
            --type plan (the default) draws what `firm plan` would do: a node per action, labelled as plan writes
            it and coloured by its kind, an edge per dependency, a cluster per provider, and the critical path (the
            chain with the most expected work, which the executor starts first) in bold red. --plan FILE draws a
            saved plan instead. --type state draws the recorded world: apps (VM, address, power) and networks
            (VLAN or subnet), an edge per connection. Render with `firm graph lab.json | dot -Tsvg > plan.svg`, or
            paste Mermaid into Markdown. Nothing is written; the state lock is not taken.
            """,
        options: [.state, .sandbox, OptionSpec(name: "--format", value: "dot|mermaid", help: "The language to draw in (default dot)."),
                  OptionSpec(name: "--plan", value: "FILE", help: "Draw this saved plan rather than a new one."),
                  OptionSpec(name: "--type", value: "plan|state", help: "Draw the plan (the default) or the recorded world."),
                  .refresh, .help])

    static let state = CommandHelp(
        name: "state", usage: "firm state (list | show ADDR | rm ADDR | migrate --to PATH|URL | encrypt | decrypt) [BLUEPRINT] [--state PATH|URL]",
        summary: "Read or edit the recorded state.",
        details: """
            list       Print one address per line: app.NAME, network.NAME, provider.NAME (sandbox infrastructure).
            show ADDR  Print what the state records for ADDR (sensitive values masked).
            rm app.NAME  Forget an app without touching the cloud (its VM is no longer managed).
            rm provider.NAME  Forget a provider's sandbox infrastructure (its cloud network, subnets and keys)
                       without touching the cloud, after a warning on stderr naming what is forgotten: for a
                       cleanup that can never succeed, such as a driver that fails when the network is already
                       gone. Refused while the state still has apps on that provider. Whatever is
                       left in the cloud is no longer managed: remove it there.
            migrate --to PATH|URL  Move the state to another file or etcd prefix (and back again): both locks
                       are held, the destination must hold no state, and it is read back and compared
                       before the old one is set aside.
            encrypt    Write every item of the state again sealed with FIRM_STATE_KEY (or FIRM_STATE_PASSPHRASE,
                       or FIRM_STATE_KEY_COMMAND), under the lock, and read it back: turns encryption on at once,
                       and completes a rotation (values still under FIRM_STATE_KEY_FALLBACK are sealed with the
                       new key). Needs a key; a state already sealed with it is left alone (exit 0).
            decrypt    Write every item again in clear, under the lock, and read it back with no key. Needs the
                       key the state was sealed with to read it; a state already in clear is left alone (exit 0).
                       A missing or wrong key fails with nothing written. See docs/security.md.
            Name the state by its BLUEPRINT, by --sandbox NAME, or by --state PATH|URL.
            """,
        options: [.state, .sandbox, OptionSpec(name: "--to", value: "PATH|URL", help: "For migrate: where the state goes."),
                  .lockTimeout, .lockTTL, .help])

    static let schema = CommandHelp(
        name: "schema", usage: "firm schema",
        summary: "Print the blueprint's JSON Schema (draft 2020-12), for editors and CI.",
        details: """
            The schema is made from the same declarations the blueprint's decoder reads: every key of every
            object, and each provider type's entry keys, settings and deployment paths. Save it beside your
            blueprints and name it in a blueprint's "$schema" key, which firm accepts and ignores, or in your
            editor's settings (docs/blueprint.md shows VS Code's). A blueprint the schema refuses, firm refuses;
            firm validate also checks the rules a schema can't state (docs/blueprint.md lists them). The
            repository keeps it as schema/blueprint.schema.json.
            """,
        options: [.help])

    static let drift = CommandHelp(
        name: "drift", usage: "firm drift BLUEPRINT [options]",
        summary: "Tell CI whether the world has drifted from the state: exit 0 in sync, 2 drift, 1 error.",
        details: """
            Asks the providers what is real and compares it with the state: VMs missing, power, addresses,
            and VMs tagged with this blueprint that the state does not know (unmanaged). Each item has the
            expected and actual value and the action apply would take. Blueprint changes that were not
            applied are reported apart, as pending: they are not drift. Read-only: it takes no lock and
            writes no state, so it never blocks an apply. --junit and --html write the report to files as
            well; the HTML page (a summary, then each item with its expected and actual values, its fix and
            its JUnit status) is self-contained: no scripts, nothing fetched, readable printed.
            """,
        options: [.state, .sandbox, .json, OptionSpec(name: "--junit", value: "FILE", help: "Also write a JUnit XML report: a testcase per app and network, a failure per drift."),
                  OptionSpec(name: "--html", value: "FILE", help: "Also write the report as one self-contained HTML page (no scripts, nothing fetched), for a person."),
                  OptionSpec(name: "--github", value: nil, help: "Print GitHub Actions annotations instead of text."),
                  OptionSpec(name: "--fail-on-pending", value: nil, help: "Exit 5 when there is no drift but blueprint changes are not applied."),
                  .refreshParallelism, .verbose, .help])

    static let refresh = CommandHelp(
        name: "refresh", usage: "firm refresh BLUEPRINT [options]",
        summary: "Record in the state what the providers report, and change nothing else.",
        details: "Takes the lock, settles interrupted intents, and records missing VMs, power states and addresses as they are.",
        options: [.state, .sandbox, .refreshParallelism, .lockTimeout, .lockTTL, .events, .jsonInto, .help])

    static let reconcile = CommandHelp(
        name: "reconcile", usage: "firm reconcile BLUEPRINT... --every DURATION [options]",
        summary: "Loop: refresh, plan and apply, so drift is corrected, not only reported.",
        details: """
            Each cycle first refreshes and plans without the lock; when the world matches the state and
            there is nothing to do, that is all (nothing is written). Otherwise it takes the lock, recovers,
            refreshes, plans, applies the whole plan and releases the lock. Each cycle logs one line, and
            starts one interval after the last one started (within a twentieth of it). On an error it backs
            off exponentially (every × 2^failures, at most 5 minutes). SIGINT or SIGTERM stops it cleanly:
            running actions finish, the state is saved, the lock is released and it exits 0. Memory does not
            grow from cycle to cycle.
            With several blueprints, or a state on etcd, each blueprint is reconciled with its sandboxes
            (those the state records for it, else the one named for it), one line per sandbox, up to
            --concurrency at once, each on its own deadline. A status line comes every minute, and a warning
            when the sandboxes' period is more than a tenth above --every (add replicas or concurrency). On
            etcd the same command can run as N replicas on N machines: each claims about its share of the
            sandboxes through a lease, watches the claims, and when one dies the others claim its sandboxes
            as soon as its lease runs out and reconcile them first: within two lock TTLs. A second SIGTERM
            during the stop still gives the claims back (within a second); a third exits at once.
            """,
        options: [.state, .sandbox, OptionSpec(name: "--every", value: "DURATION", help: "Time between cycles, such as 30s (required)."),
                  .parallelism, .lockTimeout, .lockTTL,
                  OptionSpec(name: "--concurrency", value: "N",
                             help: "Sandboxes reconciled at once by this replica (default: the cores, at least 2); --parallelism is shared between them."),
                  OptionSpec(name: "--max-cycles", value: "N", help: "Stop after N cycles (default: run until stopped)."),
                  OptionSpec(name: "--replica", value: "NAME", help: "With an etcd state: this replica's name in logs and claims (default HOST-PID)."),
                  .events, .jsonInto, .help])

    static let importVMs = CommandHelp(
        name: "import", usage: "firm import BLUEPRINT (app.NAME VM | --all) [options]",
        summary: "Adopt existing VMs into the state, so that apply manages them instead of deploying again.",
        details: """
            app.NAME VM  Adopt the VM (named by its name or its uuid) as the blueprint's app NAME. The app's
                         provider is asked first whether the VM exists, and what it is (addresses, power).
            --all        Adopt every VM tagged with the sandbox that the state does not record, whose app tag
                         names an app of the blueprint that the state does not record; where an app has
                         several, the first by name.
            Takes the state lock. An app the state already records is refused (`firm state rm` it first).
            Nothing in the cloud is changed: a plan afterwards shows only the real differences.
            """,
        options: [.state, .sandbox, OptionSpec(name: "--all", value: nil, help: "Adopt every unrecorded VM tagged for an app of the blueprint."),
                  .lockTimeout, .lockTTL, .verbose, .help])

    static let stateDir = OptionSpec(name: "--state-dir", value: "DIR", help: "The state folder (default: state/ in the nearest folder at or above this one that holds state/).")

    static let sandboxes = CommandHelp(
        name: "sandboxes", usage: "firm sandboxes [--state-dir DIR | --state etcd://…] [--json]",
        summary: "List every sandbox of a state folder: name, blueprint, apps, created, last applied, expires, status.",
        details: """
            Status is active, expired (its time to live from `apply --ttl` or the blueprint's ttl has passed),
            failed (its last apply or destroy left failed actions), empty (destroyed, or never applied), or
            unreadable (with why). Reads only; takes no lock.
            """,
        options: [stateDir, .state, .json, .help])

    static let gc = CommandHelp(
        name: "gc", usage: "firm gc [--state-dir DIR | --state etcd://…] [--dry-run] [options]",
        summary: "Destroy every expired sandbox, each under its own lock, from its state alone.",
        details: """
            Each expired sandbox is destroyed with the providers its state recorded at its last apply, so a
            blueprint file that changed or went away does not matter ({"env": …} secrets are read from the
            environment). gc goes on past a sandbox that fails (a held lock, a provider error) and exits 1 if
            any failed; run it again. --dry-run only lists what it would destroy.
            """,
        options: [stateDir, .state, OptionSpec(name: "--dry-run", value: nil, help: "List the expired sandboxes; destroy nothing."),
                  .parallelism, .lockTimeout, .lockTTL, .verbose, .help])

    static let forceUnlock = CommandHelp(
        name: "force-unlock", usage: "firm force-unlock BLUEPRINT LOCK_ID [--state PATH]",
        summary: "Clear a state lock that its holder no longer holds.",
        details: """
            LOCK_ID is the id that a locked command printed. A local lock is released by the operating
            system when its holder exits, even after kill -9, so this only clears leftover holder
            information; a lock held by a live process is refused (exit 3): stop that process instead.
            A lock on etcd lives only as long as its holder's lease (--lock-ttl), so it can't outlive its
            holder either: a held one is refused the same way, and waiting out the TTL is enough.
            """,
        options: [.state, .sandbox, .help])

    static let sim = CommandHelp(
        name: "sim", usage: "firm sim BLUEPRINT (list | stop APP | start APP | delete APP | set-ip APP IP | disconnect APP NETWORK)",
        summary: "Change the simulated cloud outside Firmament's knowledge, to demonstrate and test drift.",
        details: """
            list               Show every VM in the blueprint's simulated providers.
            stop|start APP     Power the app's VM off or on.
            delete APP         Delete the app's VM.
            set-ip APP IP      Give the app's VM another private address.
            disconnect APP NET Remove the app's VM from an L2 network's VLAN.
            """,
        options: [.state, .sandbox, .json, .help])

    static let driver = CommandHelp(
        name: "driver",
        usage: "firm driver check [--connectivity L2|L3] [--setting KEY=VALUE]... [--deployment-type PATH] [--deployment-attribute KEY=VALUE]... -- COMMAND [ARG]...",
        summary: "Run a process driver through every operation of the protocol and report what it gets wrong.",
        details: """
            Starts COMMAND as a driver for a sandbox of its own and checks: the initialize handshake and its
            capabilities, deploy (under the given name, or the driver's own with vmNames "own"), findByName,
            observe, power on and off, refreshIP, VLAN changes (L2) or PrepareSandboxInfra get-or-create,
            cleanupSubnets and cleanup (L3), inventory, concurrent requests, an unknown method, and an
            idempotent delete. What is checked follows the operations and capabilities the driver declares.
            Each check prints PASS or FAIL; exit 0 when all pass, 1 when not. --setting values are passed in
            initialize's settings (connectivity defaults to --connectivity). A CloudShell shell run through
            examples/cloudshell-host/host.py is checked the same way.
            """,
        options: [OptionSpec(name: "--connectivity", value: "L2|L3", help: "The model the driver should report (default L2)."),
                  OptionSpec(name: "--setting", value: "KEY=VALUE", help: "A setting for initialize (KEY= gives an empty one); repeat for more."),
                  OptionSpec(name: "--deployment-type", value: "PATH", help: "The deployment path to deploy with (default check)."),
                  OptionSpec(name: "--deployment-attribute", value: "KEY=VALUE", help: "A deployment-path attribute (KEY= gives an empty one); repeat for more."), .help])

    static let version = CommandHelp(name: "version", usage: "firm version", summary: "Print the version.", details: "", options: [.help])

    static let help = CommandHelp(name: "help", usage: "firm help [COMMAND]", summary: "Show help for firm or one command.", details: "", options: [.help])

    static var overview: String {
        var out = """
            firm: a declarative reconciler for sandbox infrastructure.

            Usage: firm COMMAND [arguments] [options]

            Commands:

            """
        for c in commands { out += "  " + c.name.padding(toLength: 14, withPad: " ", startingAt: 0) + c.summary + "\n" }
        out += """

            Run `firm help COMMAND` or `firm COMMAND --help` for a command's options.
            Exit codes: 0 success, 1 error, 2 changes or drift, 3 state locked, 4 stale plan,
            5 pending blueprint changes (drift --fail-on-pending), 64 usage,
            129/130/143 stopped by SIGHUP/SIGINT/SIGTERM, 141 stdout closed (| head). See docs/cli.md.
            """
        return out
    }
}

import Foundation
