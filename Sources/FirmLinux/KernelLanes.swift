import Foundation
import FirmBase

/// Independent kernel work of one batch (an `ip -batch` in each of many namespaces, reads of
/// many namespaces) spread over a few lanes, each a serial Dispatch queue of its own, so that
/// the child processes' start-up, which is most of their cost, overlaps. The caller, itself on
/// a Dispatch queue (never the cooperative pool), waits for all of them.
enum KernelLanes {
    static let width = 4

    /// `body` of each item, in the items' order; the first error in that order is thrown.
    static func map<Item: Sendable, Output: Sendable>(_ items: [Item], width: Int = width,
                                                      _ body: @escaping @Sendable (Item) throws -> Output) throws -> [Output] {
        guard items.count > 1, width > 1 else { return try items.map(body) }
        let results = Locked<[Int: Result<Output, any Error>]>([:])
        let group = DispatchGroup()
        let lanes = min(width, items.count)
        for lane in 0..<lanes {
            DispatchQueue(label: "firm.linux.lane").async(group: group) {
                for i in stride(from: lane, to: items.count, by: lanes) {
                    let result = Result { try body(items[i]) }
                    results.withLock { $0[i] = result }
                }
            }
        }
        group.wait()
        let all = results.value
        return try items.indices.map { try all[$0]!.get() }
    }

    /// `items` in `count` runs of consecutive items (fewer when there are fewer items).
    static func chunks<Item>(_ items: [Item], count: Int = width) -> [[Item]] {
        guard !items.isEmpty else { return [] }
        let size = (items.count + count - 1) / count
        return stride(from: 0, to: items.count, by: size).map { Array(items[$0..<min($0 + size, items.count)]) }
    }
}
