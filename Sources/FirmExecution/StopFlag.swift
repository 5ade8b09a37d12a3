import FirmBase
import FirmModel
import FirmPlanning

/// Set by a signal handler: start nothing more, let what runs finish.
public final class StopFlag: @unchecked Sendable {
    private let lock = NSLockBox()
    private var value = false

    public init() {}

    public var isSet: Bool { lock.withLock { value } }
    public func set() { lock.withLock { value = true } }
}
