/// The simulator's one priority queue: events ordered by time, ties broken by insertion order.
///
/// A 4-ary implicit heap over plain structs: no allocation per event once the backing array has
/// grown, no existential boxing, and ties resolved by a global insertion sequence so that two
/// runs with the same seed execute events in exactly the same order (DESIGN.md, determinism).
struct EventQueue {
    struct Entry {
        var time: Int64
        var sequence: UInt64
        var event: Event
    }

    private(set) var entries: [Entry] = []
    private var nextSequence: UInt64 = 0

    init(reservingCapacity capacity: Int = 0) {
        entries.reserveCapacity(capacity)
    }

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }

    /// Time of the earliest event, if any.
    var nextTime: Int64? { entries.first?.time }

    @inline(__always)
    private static func precedes(_ a: Entry, _ b: Entry) -> Bool {
        a.time != b.time ? a.time < b.time : a.sequence < b.sequence
    }

    mutating func push(_ event: Event, at time: Int64) {
        let entry = Entry(time: time, sequence: nextSequence, event: event)
        nextSequence &+= 1
        entries.append(entry)
        siftUp(entries.count - 1)
    }

    mutating func pop() -> Entry? {
        guard !entries.isEmpty else { return nil }
        let top = entries[0]
        let last = entries.removeLast()
        if !entries.isEmpty {
            replaceTop(with: last)
        }
        return top
    }

    /// Bottom-up deletion (Wegener): walk the hole at the root down along the smallest
    /// children to a leaf without comparing against the moved item, then sift the item up from
    /// there. The last element of a heap usually belongs near the bottom, so this saves about
    /// half the comparisons of the textbook sift-down.
    private mutating func replaceTop(with item: Entry) {
        entries.withUnsafeMutableBufferPointer { heap in
            let count = heap.count
            var hole = 0
            while true {
                let first = (hole << 2) + 1
                if first >= count { break }
                var best = first
                let end = min(first + 4, count)
                var c = first + 1
                while c < end {
                    if EventQueue.precedes(heap[c], heap[best]) { best = c }
                    c += 1
                }
                heap[hole] = heap[best]
                hole = best
            }
            while hole > 0 {
                let parent = (hole - 1) >> 2
                if EventQueue.precedes(item, heap[parent]) {
                    heap[hole] = heap[parent]
                    hole = parent
                } else {
                    break
                }
            }
            heap[hole] = item
        }
    }

    private mutating func siftUp(_ start: Int) {
        entries.withUnsafeMutableBufferPointer { heap in
            var child = start
            let item = heap[child]
            while child > 0 {
                let parent = (child - 1) >> 2
                if EventQueue.precedes(item, heap[parent]) {
                    heap[child] = heap[parent]
                    child = parent
                } else {
                    break
                }
            }
            heap[child] = item
        }
    }
}
