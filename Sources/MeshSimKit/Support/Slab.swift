/// Values waiting in the event queue, each named by its slot: an event stays 24 bytes however
/// big what it carries (a WebSocket frame, a page's queued task), and freed slots are reused.
struct Slab<Element> {
    private var items: [Element?] = []
    private var free: [Int32] = []

    /// Store `value`; returns its slot. The value is moved in, not copied (a datagram or task
    /// with references would otherwise cost a retain here and a release at the caller).
    mutating func insert(_ value: consuming Element) -> Int32 {
        if let s = free.popLast() {
            items[Int(s)] = consume value
            return s
        }
        items.append(consume value)
        return Int32(items.count - 1)
    }

    /// The most values ever held at once (slots are reused, never released).
    var highWater: Int { items.count }

    /// Take the value out of `slot`, which becomes free: moved out, not copied and destroyed.
    mutating func remove(_ slot: Int32) -> Element {
        free.append(slot)
        return items[Int(slot)].take()!
    }

    /// Every value held, in slot order.
    func forEach(_ body: (Element) -> Void) {
        for case let v? in items { body(v) }
    }
}
