import SignalProtocol

/// A spare array of actions, lent to one call into a protocol machine at a time and given back
/// afterwards, so the hot path does not allocate. A call made while the buffer is out (a
/// machine's actions causing another call of the same kind) gets a fresh array.
struct Scratch<Action> {
    private var spare: [Action] = []

    mutating func take() -> [Action] {
        var b = spare
        spare = []
        b.clearKeepingCapacity()
        return b
    }

    mutating func giveBack(_ b: [Action]) {
        if b.capacity > spare.capacity { spare = b }
    }
}
