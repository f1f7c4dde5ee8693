/// The simulator's one priority queue: events ordered by time, ties broken by insertion order.
///
/// An 8-ary implicit heap of 24-byte plain entries in memory the queue allocates itself:
/// - Each entry is (time, order, payload): `order` is the global insertion sequence shifted
///   left by 8 with the event's tag in the low byte, `payload` the event's two 32-bit fields.
///   Sequences are unique, so comparing (time, order) as one 128-bit unsigned key (time with
///   its sign bit flipped) orders by time and then first-in first-out, with no branch.
/// - The root sits at physical index 7 of storage aligned to 64 bytes, so the eight children
///   of every node start at a multiple of 8 entries (192 bytes): each family of siblings is
///   exactly three cache lines, and a level costs at most three misses.
/// - Deletion is bottom-up (Wegener): the hole left at the root walks down along the smallest
///   children to a leaf (a branch-free tournament of the eight keys per level), and the last
///   entry is sifted up from there. In a steady state (the hold model, a simulation's timers)
///   the last entry belongs near the bottom, so this saves most comparisons against it.
/// - No allocation per event once the storage has grown, no existential boxing, no reference
///   counting, no bounds checks on the hot path (indices are kept in range by construction).
///
/// Ties resolved by the global insertion sequence make two runs with the same seed execute
/// events in exactly the same order (DESIGN.md, determinism). The queue is a class because it
/// owns raw memory; the simulation holds exactly one.
final class EventQueue {
    /// One heap entry (24 bytes).
    @usableFromInline
    struct Entry {
        /// The event's time with the sign bit flipped, so unsigned order is signed time order.
        var biasedTime: UInt64
        /// Insertion sequence << 8 | event tag.
        var order: UInt64
        var payload: UInt64

        @inline(__always) var key: UInt128 { UInt128(biasedTime) << 64 | UInt128(order) }
        @inline(__always) var time: Int64 { Int64(bitPattern: biasedTime ^ EventQueue.signBit) }
    }

    /// What `pop` hands back.
    struct Popped {
        var time: Int64
        var event: Event
    }

    static let signBit: UInt64 = 0x8000_0000_0000_0000
    /// Physical index of the root; children of physical node p are at 8p - 48 ..< 8p - 40.
    private static let root = 7

    private var base: UnsafeMutablePointer<Entry>
    private var capacity: Int
    private(set) var count = 0
    private var nextSequence: UInt64 = 0

    init(reservingCapacity requested: Int = 0) {
        capacity = max(64, requested)
        base = EventQueue.allocate(capacity)
    }

    deinit {
        UnsafeMutableRawPointer(base).deallocate()
    }

    private static func allocate(_ capacity: Int) -> UnsafeMutablePointer<Entry> {
        UnsafeMutableRawPointer.allocate(byteCount: (capacity + root + 1) * MemoryLayout<Entry>.stride, alignment: 64)
            .bindMemory(to: Entry.self, capacity: capacity + root + 1)
    }

    @inline(never)
    private func grow() {
        let larger = capacity * 2
        let storage = EventQueue.allocate(larger)
        storage.update(from: base, count: count + EventQueue.root)
        UnsafeMutableRawPointer(base).deallocate()
        base = storage
        capacity = larger
    }

    var isEmpty: Bool { count == 0 }

    /// Time of the earliest event, if any.
    var nextTime: Int64? { count == 0 ? nil : base[EventQueue.root].time }

    /// Schedule `event` at `time` (after every event already scheduled at the same time).
    @inline(__always)
    func push(_ event: Event, at time: Int64) {
        if count == capacity { grow() }
        let (tag, payload) = EventQueue.encode(event)
        let item = Entry(biasedTime: UInt64(bitPattern: time) ^ EventQueue.signBit,
                         order: nextSequence << 8 | tag, payload: payload)
        nextSequence &+= 1
        let hole = count + EventQueue.root
        count += 1
        siftUp(item, from: hole)
    }

    /// Remove and return the earliest event.
    @inline(__always)
    func pop() -> Popped? {
        guard count > 0 else { return nil }
        let top = base[EventQueue.root]
        count -= 1
        if count > 0 {
            refill(with: base[count + EventQueue.root])
        }
        return Popped(time: top.time, event: EventQueue.decode(top.order & 0xFF, top.payload))
    }

    /// Bottom-up deletion: walk the hole at the root down to a leaf, then sift `item` up.
    @inline(__always)
    private func refill(with item: Entry) {
        let end = count + EventQueue.root
        let base = self.base
        var hole = EventQueue.root
        while true {
            let first = hole << 3 - 48
            if first + 7 < end {
                let k0 = base[first].key, k1 = base[first + 1].key
                let k2 = base[first + 2].key, k3 = base[first + 3].key
                let k4 = base[first + 4].key, k5 = base[first + 5].key
                let k6 = base[first + 6].key, k7 = base[first + 7].key
                let a = k1 < k0 ? first + 1 : first, ka = k1 < k0 ? k1 : k0
                let b = k3 < k2 ? first + 3 : first + 2, kb = k3 < k2 ? k3 : k2
                let c = k5 < k4 ? first + 5 : first + 4, kc = k5 < k4 ? k5 : k4
                let d = k7 < k6 ? first + 7 : first + 6, kd = k7 < k6 ? k7 : k6
                let ab = kb < ka ? b : a, kab = kb < ka ? kb : ka
                let cd = kd < kc ? d : c, kcd = kd < kc ? kd : kc
                let best = kcd < kab ? cd : ab
                base[hole] = base[best]
                hole = best
            } else {
                if first < end {
                    var best = first
                    var bestKey = base[first].key
                    var c = first + 1
                    while c < end {
                        let k = base[c].key
                        if k < bestKey {
                            best = c
                            bestKey = k
                        }
                        c += 1
                    }
                    base[hole] = base[best]
                    hole = best
                }
                break
            }
        }
        siftUp(item, from: hole)
    }

    /// Move `item` up from the empty slot `start` past every parent it precedes, and store it.
    @inline(__always)
    private func siftUp(_ item: Entry, from start: Int) {
        let key = item.key
        var hole = start
        while hole > EventQueue.root {
            let parent = hole >> 3 + 6
            if key < base[parent].key {
                base[hole] = base[parent]
                hole = parent
            } else {
                break
            }
        }
        base[hole] = item
    }

    // MARK: - Event packing

    @inline(__always)
    private static func pack(_ a: Int32, _ b: UInt32 = 0) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) | UInt64(b) << 32
    }

    /// An event as a tag (low byte of `order`) and a 64-bit payload.
    @inline(__always)
    static func encode(_ event: Event) -> (tag: UInt64, payload: UInt64) {
        switch event {
        case .scenarioAction(let i): return (0, pack(i))
        case .pageLoad(let i): return (1, pack(i))
        case .wsOpened(let page, let epoch): return (2, pack(page, epoch))
        case .wsArrive(let i): return (3, pack(i))
        case .datagramArrive(let i): return (4, pack(i))
        case .pcTask(let i): return (5, pack(i))
        case .pcTimer(let c, let epoch): return (6, pack(c, epoch))
        case .wsReconnect(let page, let epoch): return (7, pack(page, epoch))
        case .serverPing: return (8, 0)
        case .serverUp: return (9, 0)
        case .deferred(let i): return (10, pack(i))
        case .meshTimer(let i): return (11, pack(i))
        case .bench: return (12, 0)
        }
    }

    @inline(__always)
    static func decode(_ tag: UInt64, _ payload: UInt64) -> Event {
        let a = Int32(bitPattern: UInt32(truncatingIfNeeded: payload))
        let b = UInt32(truncatingIfNeeded: payload >> 32)
        switch tag {
        case 0: return .scenarioAction(a)
        case 1: return .pageLoad(a)
        case 2: return .wsOpened(page: a, epoch: b)
        case 3: return .wsArrive(a)
        case 4: return .datagramArrive(a)
        case 5: return .pcTask(a)
        case 6: return .pcTimer(a, epoch: b)
        case 7: return .wsReconnect(page: a, epoch: b)
        case 8: return .serverPing
        case 9: return .serverUp
        case 10: return .deferred(a)
        case 11: return .meshTimer(a)
        case 12: return .bench
        default: preconditionFailure("event tag \(tag) has no case: update EventQueue.encode/decode with Event")
        }
    }
}
