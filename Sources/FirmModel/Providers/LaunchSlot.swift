import FirmBase

/// Where a VM stands in a launch that makes several at once (EC2's RunInstances with
/// `MaxCount`): the launch's idempotency token and the VM's launch index in it. A provider that
/// launches in batches records the slot in the deploy's intent before the call, so that
/// recovery after a crash finds the VM by its slot, even before the VM carries its own name.
public struct LaunchSlot: Sendable, Equatable {
    /// The launch's idempotency token (EC2's `ClientToken`), also tagged on what it made.
    public var token: String
    /// The VM's place in the launch, from 0 (EC2's `AmiLaunchIndex`).
    public var index: Int

    public init(token: String, index: Int) {
        self.token = token
        self.index = index
    }
}

/// How a provider records a deploy's launch slot durably before the call that launches it. Set
/// by whoever recorded the deploy's intent; it returns once the slot is durable.
public struct LaunchRecorder: Sendable {
    private let record: @Sendable (LaunchSlot) async throws -> Void

    public init(_ record: @escaping @Sendable (LaunchSlot) async throws -> Void) {
        self.record = record
    }

    public func callAsFunction(_ slot: LaunchSlot) async throws {
        try await record(slot)
    }
}
