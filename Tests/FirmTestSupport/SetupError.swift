/// Something a test needs could not be set up (a server that did not start, a call it
/// refused). Thrown from a test, it fails the test with this message.
package struct SetupError: Error, CustomStringConvertible {
    package var description: String

    package init(_ description: String) { self.description = description }
}

extension Optional {
    /// The value, or a `SetupError` saying what was missing.
    package func orThrow(_ message: @autoclosure () -> String) throws -> Wrapped {
        guard let self else { throw SetupError(message()) }
        return self
    }
}
