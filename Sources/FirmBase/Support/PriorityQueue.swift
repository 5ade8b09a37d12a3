/// A binary max-heap ordered by `areInIncreasingOrder` (the greatest element pops first).
public struct PriorityQueue<Element> {
    private var items: [Element] = []
    private let less: (Element, Element) -> Bool

    public init(by areInIncreasingOrder: @escaping (Element, Element) -> Bool) {
        less = areInIncreasingOrder
    }

    public var isEmpty: Bool { items.isEmpty }
    public var count: Int { items.count }

    public mutating func push(_ element: Element) {
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(items[parent], items[child]) else { break }
            items.swapAt(parent, child)
            child = parent
        }
    }

    public mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var largest = parent
            if left < items.count, less(items[largest], items[left]) { largest = left }
            if right < items.count, less(items[largest], items[right]) { largest = right }
            if largest == parent { break }
            items.swapAt(parent, largest)
            parent = largest
        }
        return top
    }

    /// Takes out every element matching `predicate`, in no particular order.
    public mutating func removeAll(where predicate: (Element) -> Bool) -> [Element] {
        let removed = items.filter(predicate)
        guard !removed.isEmpty else { return [] }
        let kept = items.filter { !predicate($0) }
        items = []
        for item in kept { push(item) }
        return removed
    }
}
