/// Values waiting in the event queue, each named by its slot: an event stays 24 bytes however
/// big what it carries (a WebSocket frame, a page's queued task), and freed slots are reused.
///
/// The values live in raw storage rather than an array of optionals: storing into a slot of
/// `[Element?]` first destroyed the `nil` there through the optional's value witness and
/// checked the array's uniqueness, 180 instructions a datagram (2 % of a run with application
/// traffic). A value type still: a copy shares the storage until one side changes it.
struct Slab<Element> {
    private var storage = SlabStorage<Element>()

    /// Store `value`; returns its slot. The value is moved in, not copied (a datagram or task
    /// with references would otherwise cost a retain here and a release at the caller).
    mutating func insert(_ value: consuming Element) -> Int32 {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage.insert(value)
    }

    /// The most values ever held at once (slots are reused, never released).
    var highWater: Int { storage.used }

    /// Take the value out of `slot`, which becomes free: moved out, not copied and destroyed.
    /// A slot that holds nothing is a bug of the caller's, and traps.
    mutating func remove(_ slot: Int32) -> Element {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage.remove(slot)
    }

    /// Every value held, in slot order.
    func forEach(_ body: (Element) -> Void) {
        storage.forEach(body)
    }
}

/// A `Slab`'s storage: slots `0..<used` of raw memory, `occupied` saying which hold a value.
final class SlabStorage<Element> {
    private var base: UnsafeMutablePointer<Element>
    private var capacity: Int
    private(set) var used = 0
    private var occupied: [Bool] = []
    private var free: [Int32] = []

    init(capacity: Int = 16) {
        self.capacity = max(1, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit {
        for i in 0..<used where occupied[i] { (base + i).deinitialize(count: 1) }
        base.deallocate()
    }

    /// A copy holding copies of the same values in the same slots.
    func copy() -> SlabStorage<Element> {
        let c = SlabStorage(capacity: capacity)
        for i in 0..<used where occupied[i] { (c.base + i).initialize(to: (base + i).pointee) }
        c.used = used
        c.occupied = occupied
        c.free = free
        return c
    }

    @inline(__always)
    func insert(_ value: consuming Element) -> Int32 {
        if let s = free.popLast() {
            (base + Int(s)).initialize(to: value)
            occupied[Int(s)] = true
            return s
        }
        if used == capacity { grow() }
        (base + used).initialize(to: value)
        occupied.append(true)
        used += 1
        return Int32(used - 1)
    }

    @inline(__always)
    func remove(_ slot: Int32) -> Element {
        let s = Int(slot)
        precondition(s >= 0 && s < used && occupied[s], "Slab: slot \(slot) holds nothing")
        occupied[s] = false
        free.append(slot)
        return (base + s).move()
    }

    func forEach(_ body: (Element) -> Void) {
        for i in 0..<used where occupied[i] { body((base + i).pointee) }
    }

    /// Twice the room, the values moved over.
    private func grow() {
        let bigger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
        for i in 0..<used where occupied[i] { (bigger + i).moveInitialize(from: base + i, count: 1) }
        base.deallocate()
        base = bigger
        capacity *= 2
    }
}
