import Foundation
import FirmBase
import FirmModel

/// Calls of one kind (deploys, deletes) that arrive within a few milliseconds of each other,
/// up to 64, run as one batch on the provider's switch queue by `run`, which answers each job
/// with nil (done) or why it failed. A whole batch that fails gives every job its error. A job
/// that failed is worth another try: both kinds start by removing what an earlier try left,
/// and the kernel may still be freeing a namespace deleted a moment before (its veths' names
/// stay taken until it has).
struct LinuxBatcher<Job: Sendable>: Sendable {
    typealias Run = @Sendable (LinuxKernel, [Job]) throws -> [String?]
    private let batcher: WindowBatcher<Int, Job, Void>

    init(provider: String, operation: String, ip: String?, queue: DispatchQueue, log: (@Sendable (String) -> Void)?, run: @escaping Run) {
        batcher = WindowBatcher(window: .milliseconds(3), limit: 64) { _, batch in
            guard let ip else {
                for i in batch.items.indices { batch.finish(i, .failure(LinuxProvider.missingIP(provider: provider, operation: operation))) }
                return
            }
            do {
                let failures = try await queue.perform { try run(LinuxKernel(ip: ip, log: log), batch.items) }
                for i in batch.items.indices {
                    let failure = i < failures.count ? failures[i] : "the batch gave it no result"
                    batch.finish(i, failure.map { .failure(ProviderError(provider: provider, operation: operation, message: $0, kind: .retryable)) } ?? .success(()))
                }
            } catch {
                let failure = LinuxProvider.providerError(error, provider: provider, operation: operation)
                for i in batch.items.indices { batch.finish(i, .failure(failure)) }
            }
        }
    }

    /// Runs `job` with whatever others come with it.
    func submit(_ job: Job) async throws {
        try await batcher.submit(0, job)
    }
}
