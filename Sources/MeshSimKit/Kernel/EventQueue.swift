/// The simulator's one priority queue: events ordered by time, ties broken by insertion order.
///
/// Two tiers, because a large run keeps a million timers pending (one per connection, most
/// of them consent checks seconds ahead) and a heap that size misses the cache on every level:
/// - **near**: an 8-ary heap (`EntryHeap`) of the events in the current time slot (2^24 ns,
///   about 17 ms) and earlier; at the 1,000-peer scale that is some tens of thousands of
///   entries, which stay in cache;
/// - **buckets**: one unsorted list per slot for the next 1,023 slots (about 17 s), appended to
///   in O(1) and poured into the near heap when their slot comes up;
/// - **far**: a second heap for anything later (rare: long TURN refreshes, scenario actions).
/// Every entry of the near heap precedes every bucketed or far one (slots are disjoint time
/// ranges), so the pop order is exactly the single heap's order: (time, insertion sequence).
/// Hold-model workloads whose pending events all sit within one slot (the kernel bench) only
/// ever use the near heap.
///
/// Ties resolved by the global insertion sequence make two runs with the same seed execute
/// events in exactly the same order (DESIGN.md, determinism). The queue is a class because it
/// owns raw memory; the simulation holds exactly one.
///
/// **Withdrawing.** An entry pushed with `pushWithdrawable` into a bucket can be taken back
/// before its slot comes up (`withdraw`): it is marked in place (`withdrawnBit` in its tag)
/// and never enters the near heap. Positions in a bucket never change until it is poured, so
/// the ticket (slot and position) stays valid until then; an entry already in the near or far
/// heap is not withdrawable (its ticket is 0), and its owner lets it come due and ignores it,
/// as before. Withdrawing changes no order: every other entry keeps its time and sequence.
/// Superseded connection timers are the use (`rearmTimer`, `syncDataTimer`). A withdrawn entry
/// of `markedTag` (a connection timer, which a run counts as an event either way) still comes
/// out of `pop`, in its place, marked `withdrawn`, from a short sorted list of its slot's
/// withdrawn entries instead of the heap; other withdrawn entries vanish.
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
        @inline(__always) var slot: UInt64 { biasedTime >> EventQueue.slotShift }
    }

    /// What `pop` hands back.
    struct Popped {
        var time: Int64
        var event: Event
        /// A withdrawn entry of `markedTag`, in its place: nothing to do but count it.
        var withdrawn = false
    }

    static let signBit: UInt64 = 0x8000_0000_0000_0000
    /// A slot is 2^24 ns (16.8 ms) of biased time.
    static let slotShift: UInt64 = 24
    /// Buckets ahead of the current slot (a power of two).
    static let slotCount: UInt64 = 1024

    private var near: EntryHeap
    private var far: EntryHeap
    private var buckets: [[Entry]]
    /// Entries in `buckets`.
    private var bucketed = 0
    /// The slot the near heap covers (with everything earlier). Starts at the slot of time 0
    /// (scenario times are never negative; earlier pushes simply go to the near heap), and
    /// jumps ahead over empty stretches in `advance`.
    private var currentSlot: UInt64 = EventQueue.signBit >> EventQueue.slotShift {
        didSet {
            // Saturates in the last slot of all (times near Int64.max).
            nearLimit = currentSlot >= UInt64.max >> EventQueue.slotShift ? .max : (currentSlot + 1) << EventQueue.slotShift
        }
    }
    /// The first biased time after the current slot.
    private var nearLimit: UInt64 = (EventQueue.signBit >> EventQueue.slotShift + 1) << EventQueue.slotShift
    /// Entries `pop` will still return (withdrawn ones only if of `markedTag`).
    var count: Int {
        near.count + bucketed + far.count - withdrawnPending + markedPending + pouredLeft
    }
    /// Withdrawn entries still in their buckets, and those of them of `markedTag`.
    private var withdrawnPending = 0
    private var markedPending = 0
    /// The withdrawn entries of `markedTag` of the slot last poured, in key order, from
    /// `pouredNext` on not yet popped.
    private var poured: [Entry] = []
    private var pouredNext = 0
    /// `poured.count - pouredNext`, kept apart: `pop` tests it on every event.
    private var pouredLeft = 0
    /// Entries withdrawn so far, by event tag (`encode`).
    private(set) var withdrawnByTag = [Int](repeating: 0, count: 128)
    /// The tag of the withdrawn entries that still come out of `pop` (connection timers).
    static let markedTag = EventQueue.encode(.pcTimer(0, epoch: 0)).tag
    /// Set in the tag of a withdrawn entry (event tags are below it).
    static let withdrawnBit: UInt64 = 0x80
    private var nextSequence: UInt64 = 0

    init(reservingCapacity requested: Int = 0) {
        near = EntryHeap(capacity: max(64, requested))
        far = EntryHeap(capacity: 64)
        buckets = Array(repeating: [], count: Int(EventQueue.slotCount))
    }

    deinit {
        near.deallocate()
        far.deallocate()
    }

    var isEmpty: Bool { count == 0 }

    /// Time of the earliest event, if any.
    @inline(__always)
    var nextTime: Int64? {
        if near.count == 0 || pouredLeft != 0 { return nextTimeBeyondTheHeap() }
        return near.min.time
    }

    /// `nextTime` when the near heap is empty or withdrawn timers wait beside it.
    @inline(never)
    private func nextTimeBeyondTheHeap() -> Int64? {
        if near.count == 0 && pouredLeft == 0 && !advance() { return nil }
        if pouredLeft != 0 && (near.count == 0 || poured[pouredNext].key < near.min.key) {
            return poured[pouredNext].time
        }
        return near.min.time
    }

    /// Schedule `event` at `time` (after every event already scheduled at the same time).
    @inline(__always)
    func push(_ event: Event, at time: Int64) {
        let (tag, payload) = EventQueue.encode(event)
        let item = Entry(biasedTime: UInt64(bitPattern: time) ^ EventQueue.signBit,
                         order: nextSequence << 8 | tag, payload: payload)
        nextSequence &+= 1
        if item.biasedTime < nearLimit {
            near.push(item)
        } else {
            pushLater(item)
        }
    }

    /// An entry after the current slot: into its slot's bucket, or the far heap. Returns its
    /// ticket if it went into a bucket (`pushWithdrawable`), else 0.
    @inline(never) @discardableResult
    private func pushLater(_ item: Entry) -> UInt64 {
        let slot = item.slot
        if slot <= currentSlot {
            // Only in the last slot of all, where `nearLimit` saturates.
            near.push(item)
        } else if slot - currentSlot < EventQueue.slotCount {
            let b = Int(slot & (EventQueue.slotCount - 1))
            let position = UInt64(buckets[b].count)
            buckets[b].append(item)
            bucketed += 1
            // Slots are at least 2^39 (time 0 biased), so a ticket is never 0.
            return position < 1 << EventQueue.ticketPositionBits ? slot << EventQueue.ticketPositionBits | position : 0
        } else {
            far.push(item)
        }
        return 0
    }

    /// Bits of a ticket that hold the position in the bucket (the rest: the slot, 40 bits).
    static let ticketPositionBits: UInt64 = 24

    /// `push`, returning a ticket with which `withdraw` can take the entry back while it waits
    /// in a bucket; 0 when it went to the near or far heap (not withdrawable).
    @inline(__always)
    func pushWithdrawable(_ event: Event, at time: Int64) -> UInt64 {
        let (tag, payload) = EventQueue.encode(event)
        let item = Entry(biasedTime: UInt64(bitPattern: time) ^ EventQueue.signBit,
                         order: nextSequence << 8 | tag, payload: payload)
        nextSequence &+= 1
        if item.biasedTime < nearLimit {
            near.push(item)
            return 0
        }
        return pushLater(item)
    }

    /// Take back `event`, pushed with `ticket` by `pushWithdrawable`, if it still waits in its
    /// bucket; whether it did. The event must match the entry exactly (a connection timer's
    /// epoch makes it unique), so a stale ticket withdraws nothing.
    @discardableResult
    func withdraw(_ ticket: UInt64, _ event: Event) -> Bool {
        let slot = ticket >> EventQueue.ticketPositionBits
        guard ticket != 0, slot > currentSlot, slot - currentSlot < EventQueue.slotCount else { return false }
        let b = Int(slot & (EventQueue.slotCount - 1))
        let position = Int(ticket & (1 << EventQueue.ticketPositionBits - 1))
        let (tag, payload) = EventQueue.encode(event)
        guard position < buckets[b].count else { return false }
        let e = buckets[b][position]
        guard e.slot == slot, e.order & 0xFF == tag, e.payload == payload else { return false }
        buckets[b][position].order = e.order | EventQueue.withdrawnBit
        withdrawnPending += 1
        if tag == EventQueue.markedTag { markedPending += 1 }
        withdrawnByTag[Int(tag)] += 1
        return true
    }

    /// Remove and return the earliest event.
    @inline(__always)
    func pop() -> Popped? {
        if near.count == 0 || pouredLeft != 0 { return popBeyondTheHeap() }
        let top = near.popMin()
        return Popped(time: top.time, event: EventQueue.decode(top.order & 0xFF, top.payload))
    }

    /// `pop` when the near heap is empty or withdrawn timers wait beside it.
    @inline(never)
    private func popBeyondTheHeap() -> Popped? {
        if near.count == 0 && pouredLeft == 0 && !advance() { return nil }
        if pouredLeft != 0 && (near.count == 0 || poured[pouredNext].key < near.min.key) {
            let e = poured[pouredNext]
            pouredNext += 1
            pouredLeft -= 1
            return Popped(time: e.time, event: EventQueue.decode(e.order & (EventQueue.withdrawnBit - 1), e.payload), withdrawn: true)
        }
        let top = near.popMin()
        return Popped(time: top.time, event: EventQueue.decode(top.order & 0xFF, top.payload))
    }

    /// The near heap is empty: move the window to the next slot holding anything and pour that
    /// slot's entries (and far entries now within reach) into it. False if nothing is pending.
    @inline(never)
    private func advance() -> Bool {
        guard count > 0 else { return false }
        let mask = EventQueue.slotCount - 1
        while near.count == 0 && pouredLeft == 0 {
            // A poured bucket may have held only withdrawn entries.
            if count == 0 { return false }
            if bucketed == 0 {
                // Only far entries: jump straight to the earliest.
                currentSlot = far.min.slot
            } else {
                currentSlot += 1
            }
            while far.count > 0 && far.min.slot < currentSlot + EventQueue.slotCount {
                let e = far.popMin()
                let slot = e.slot
                if slot <= currentSlot {
                    near.push(e)
                } else {
                    buckets[Int(slot & mask)].append(e)
                    bucketed += 1
                }
            }
            let i = Int(currentSlot & mask)
            if !buckets[i].isEmpty {
                bucketed -= buckets[i].count
                if withdrawnPending == 0 {
                    buckets[i].withUnsafeBufferPointer { for e in $0 { near.push(e) } }
                } else {
                    poured.removeAll(keepingCapacity: true)
                    pouredNext = 0
                    buckets[i].withUnsafeBufferPointer {
                        for e in $0 {
                            if e.order & EventQueue.withdrawnBit != 0 {
                                withdrawnPending -= 1
                                if e.order & (EventQueue.withdrawnBit - 1) == EventQueue.markedTag {
                                    markedPending -= 1
                                    poured.append(e)
                                }
                            } else {
                                near.push(e)
                            }
                        }
                    }
                    if poured.count > 1 { poured.sort { $0.key < $1.key } }
                    pouredLeft = poured.count
                }
                // Freed, not kept: 1,024 buckets each keeping its peak room would hold
                // gigabytes at the million-timer scale.
                buckets[i] = []
            }
        }
        return true
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
        case .pageTask(let i): return (13, pack(i))
        case .trafficTick(let page, let flow): return (14, pack(page, flow))
        case .mediaTick: return (15, 0)
        case .dataTimer(let c, let epoch): return (16, pack(c, epoch))
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
        case 13: return .pageTask(a)
        case 14: return .trafficTick(page: a, flow: b)
        case 15: return .mediaTick
        case 16: return .dataTimer(a, epoch: b)
        default: preconditionFailure("event tag \(tag) has no case: update EventQueue.encode/decode with Event")
        }
    }
}

/// An 8-ary implicit min-heap of 24-byte plain entries in memory it allocates itself:
/// - entries compare as one 128-bit unsigned key (biased time, then insertion order), which
///   compiles to a compare and a subtract-with-borrow: no branch per key;
/// - the root sits at physical index 7 of storage aligned to 64 bytes, so the eight children
///   of every node start at a multiple of 8 entries (192 bytes): each family of siblings is
///   exactly three cache lines, and a level costs at most three misses;
/// - deletion is bottom-up (Wegener): the hole left at the root walks down along the smallest
///   children to a leaf (a branch-free tournament of the eight keys per level), and the last
///   entry is sifted up from there; in a steady state the last entry belongs near the bottom,
///   so this saves most comparisons against it;
/// - no allocation once grown, no reference counting, no bounds checks on the hot path.
/// A struct over raw memory: its owner (`EventQueue`) frees it with `deallocate()`.
struct EntryHeap {
    typealias Entry = EventQueue.Entry
    /// Physical index of the root; children of physical node p are at 8p - 48 ..< 8p - 40.
    private static let root = 7

    private var base: UnsafeMutablePointer<Entry>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        base = EntryHeap.allocate(capacity)
    }

    func deallocate() {
        UnsafeMutableRawPointer(base).deallocate()
    }

    private static func allocate(_ capacity: Int) -> UnsafeMutablePointer<Entry> {
        UnsafeMutableRawPointer.allocate(byteCount: (capacity + root + 1) * MemoryLayout<Entry>.stride, alignment: 64)
            .bindMemory(to: Entry.self, capacity: capacity + root + 1)
    }

    @inline(never)
    private mutating func grow() {
        let larger = capacity * 2
        let storage = EntryHeap.allocate(larger)
        storage.update(from: base, count: count + EntryHeap.root)
        UnsafeMutableRawPointer(base).deallocate()
        base = storage
        capacity = larger
    }

    /// The earliest entry (the heap must not be empty).
    @inline(__always) var min: Entry { base[EntryHeap.root] }

    @inline(__always)
    mutating func push(_ item: Entry) {
        if count == capacity { grow() }
        let hole = count + EntryHeap.root
        count += 1
        siftUp(item, from: hole)
    }

    /// Remove and return the earliest entry (the heap must not be empty).
    @inline(__always)
    mutating func popMin() -> Entry {
        let top = base[EntryHeap.root]
        count -= 1
        if count > 0 {
            refill(with: base[count + EntryHeap.root])
        }
        return top
    }

    /// Bottom-up deletion: walk the hole at the root down to a leaf, then sift `item` up.
    @inline(__always)
    private func refill(with item: Entry) {
        let end = count + EntryHeap.root
        let base = self.base
        var hole = EntryHeap.root
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
        while hole > EntryHeap.root {
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
}
