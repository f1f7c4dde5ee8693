extension Array {
    /// `removeAll(keepingCapacity: true)` for the simulator's per-call scratch buffers, which
    /// hold a few elements at most: the standard library's version goes through a generic
    /// `replaceSubrange` (about 200 instructions even for one element, 4 % of a 100-peer run,
    /// docs/performance.md), while removing from the end one by one is inlined.
    @inlinable @inline(__always)
    public mutating func clearKeepingCapacity() {
        while !isEmpty { removeLast() }
    }
}
