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
            entries[0] = last
            siftDown(0)
        }
        return top
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

    private mutating func siftDown(_ start: Int) {
        entries.withUnsafeMutableBufferPointer { heap in
            let count = heap.count
            var parent = start
            let item = heap[parent]
            while true {
                let first = (parent << 2) + 1
                if first >= count { break }
                var best = first
                let end = min(first + 4, count)
                var c = first + 1
                while c < end {
                    if EventQueue.precedes(heap[c], heap[best]) { best = c }
                    c += 1
                }
                if EventQueue.precedes(heap[best], item) {
                    heap[parent] = heap[best]
                    parent = best
                } else {
                    break
                }
            }
            heap[parent] = item
        }
    }
}
