extension Array {
    /// `removeAll(keepingCapacity: true)`, skipped when the array is already empty: the
    /// standard library's version goes through a generic `replaceSubrange` even then, and the
    /// simulator's per-event scratch buffers are usually empty when cleared.
    @inlinable @inline(__always)
    public mutating func clearKeepingCapacity() {
        if !isEmpty { removeAll(keepingCapacity: true) }
    }
}
