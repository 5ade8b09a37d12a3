import FirmBase

/// How hard firm may push one provider: tries per call, calls at once, and calls per second.
/// Each is optional in the blueprint; a missing one takes the provider type's default.
public struct ProviderLimits: Sendable, Equatable {
    /// The most tries of one call whose failures are retryable (1 means no retry).
    public var retries: Int?
    /// The most calls in flight at once, under the global `--parallelism`.
    public var concurrency: Int?
    /// A token bucket shared by every call to the provider.
    public var requestsPerSecond: Double?

    public init(retries: Int? = nil, concurrency: Int? = nil, requestsPerSecond: Double? = nil) {
        self.retries = retries
        self.concurrency = concurrency
        self.requestsPerSecond = requestsPerSecond
    }

    /// These limits, with what is missing taken from `defaults`.
    public func over(_ defaults: ProviderLimits) -> ProviderLimits {
        ProviderLimits(retries: retries ?? defaults.retries, concurrency: concurrency ?? defaults.concurrency,
                       requestsPerSecond: requestsPerSecond ?? defaults.requestsPerSecond)
    }

    /// The blueprint keys, on a provider's entry.
    static let fields: [ObjectShape.Field] = [
        .init("retries", .about("The most tries of a call whose failures are retryable (1 means no retry).", .integer(minimum: 1, maximum: 100))),
        .init("concurrency", .about("The most calls in flight at once, under --parallelism.", .integer(minimum: 1, maximum: 10_000))),
        .init("requestsPerSecond", .about("Calls per second, shared by every call to the provider.", .number(exclusiveMinimum: 0, maximum: 100_000))),
    ]

    /// Reads the keys that are present, reporting bad values with their paths.
    static func decode(_ fields: JSONFields, _ path: JSONPath, _ context: inout DecodingContext) -> ProviderLimits {
        var limits = ProviderLimits()
        limits.retries = fields["retries"].flatMap { context.int($0, at: path.key("retries"), in: 1...100) }
        limits.concurrency = fields["concurrency"].flatMap { context.int($0, at: path.key("concurrency"), in: 1...10_000) }
        limits.requestsPerSecond = fields["requestsPerSecond"].flatMap {
            context.number($0, at: path.key("requestsPerSecond"), accepts: { $0 > 0 && $0 <= 100_000 },
                           expected: "a number of calls per second above 0 and at most 100000, such as 20 or 0.5")
        }
        return limits
    }
}
