import Synchronization
import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift

/// Values a one-shot command is done with, held until the process exits rather than freed: a
/// plan of 10,000 apps is hundreds of thousands of small objects, and freeing them one by one
/// takes longer than the exit that returns all their memory at once. Only for values whose
/// lifetime ends with the command; nothing is closed or flushed by their deinit.
enum KeptUntilExit {
    private static let values = Mutex<[any Sendable]>([])

    static func keep(_ value: any Sendable) {
        values.withLock { $0.append(value) }
    }
}
