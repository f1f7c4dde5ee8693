/// Values waiting in the event queue, each named by its slot: an event stays 24 bytes however
/// big what it carries (a WebSocket frame, a page's queued task), and freed slots are reused.
struct Slab<Element> {
    private var items: [Element?] = []
    private var free: [Int32] = []

    /// Store `value`; returns its slot.
    mutating func insert(_ value: Element) -> Int32 {
        if let s = free.popLast() {
            items[Int(s)] = value
            return s
        }
        items.append(value)
        return Int32(items.count - 1)
    }

    /// Take the value out of `slot`, which becomes free.
    mutating func remove(_ slot: Int32) -> Element {
        let value = items[Int(slot)]!
        items[Int(slot)] = nil
        free.append(slot)
        return value
    }
}
