import Synchronization
import FirmBase
import FirmModel
import FirmPlanning

/// Set by a signal handler: start nothing more, let what runs finish.
public final class StopFlag: Sendable {
    private let value = Mutex(false)

    public init() {}

    public var isSet: Bool { value.withLock { $0 } }
    public func set() { value.withLock { $0 = true } }
}
