import Foundation

/// SplitMix64: a small seeded generator, so that a failing run can be repeated from its seed.
package struct SplitMix: RandomNumberGenerator, Sendable {
    /// The seed it started from, for failure messages.
    package let seed: UInt64
    private var state: UInt64

    package init(seed: UInt64) {
        self.seed = seed
        state = seed
    }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A generator for a randomized test, seeded from `$variable` when it is set and else from
    /// a fresh seed. The seed is printed with how to repeat the run, and is `seed`.
    package static func announced(_ test: String, variable: String = "FIRM_TEST_SEED") -> SplitMix {
        let seed = ProcessInfo.processInfo.environment[variable].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64.max / 2)
        print("\(test): seed \(seed) (set \(variable)=\(seed) to repeat)")
        return SplitMix(seed: seed)
    }
}
