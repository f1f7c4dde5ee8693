extension Int64 {
    /// `self + x`, or `Int64.max`/`.min` where that overflows: for times a caller may push to
    /// the ends of the range ("never" written as `Int64.max`), where `+` would trap.
    @inlinable @inline(__always)
    public func addingSaturating(_ x: Int64) -> Int64 {
        let (r, overflow) = addingReportingOverflow(x)
        return overflow ? (x > 0 ? .max : .min) : r
    }
}

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
