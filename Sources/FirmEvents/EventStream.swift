import FirmBase
import FirmSession

/// Turns run events into lines of newline-delimited JSON, each in the versioned envelope
/// `{"firm": "event/1", "type": …, "time": …, "sandbox": …, …}`, and hands each line to `write`
/// (the terminal's queue for `--json`, an `EventFile` for `--json-into`). Nothing here waits
/// for the reader.
public struct EventStream: Sendable {
    /// The sandbox the events are about; the envelope's `sandbox`.
    public var sandbox: String?
    let write: @Sendable ([UInt8]) -> Void

    public init(sandbox: String?, write: @escaping @Sendable ([UInt8]) -> Void) {
        self.sandbox = sandbox
        self.write = write
    }

    /// The same stream, about another sandbox (a reconcile fleet's).
    public func about(_ sandbox: String) -> EventStream {
        EventStream(sandbox: sandbox, write: write)
    }

    public func emit(_ event: RunEvent) {
        guard event.isStreamed else { return }
        write(Self.line(event, time: Timestamp.precise(), sandbox: sandbox))
    }

    /// What settling the state found: the lock's wait, recovery's findings and refresh's drift.
    public func settled(operation: String, lockWaited: Duration, recovered: [Recovery.Finding], drift: [Refresher.Note]) {
        emit(.lock(operation: operation, waited: lockWaited))
        for finding in recovered { emit(.recovered(finding)) }
        for note in drift { emit(.drift(note)) }
    }

    /// One event as one line of JSON, with its newline.
    public static func line(_ event: RunEvent, time: String, sandbox: String?) -> [UInt8] {
        var members: [(String, JSON)] = [("firm", .string(RunEvent.format)), ("type", .string(event.type)), ("time", .string(time))]
        if let sandbox { members.append(("sandbox", .string(sandbox))) }
        var bytes = JSONWriter(pretty: false).bytes(.object(JSONObject(members + event.fields)))
        bytes.append(0x0A)
        return bytes
    }
}
