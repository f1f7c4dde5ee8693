import SignalProtocol

/// The addresses a connection's socket has received a STUN request or response from (the
/// network service's `connected_peers_`, `STUNThrottle`). Nearly always one or two (the STUN
/// server, the remote's address); two are kept inline, so that a million connections do not
/// each allocate an array, and the rest, if any, in one.
struct HeardAddresses {
    /// No address: 0.0.0.0:0 is never a peer's or a server's.
    private static let none = TransportAddress(ip: 0, port: 0)
    private var first = Self.none
    private var second = Self.none
    private var more: [TransportAddress]?

    /// Whether `address` is among them.
    @inline(__always) func contains(_ address: TransportAddress) -> Bool {
        address == second || address == first || (more?.contains(address) ?? false)
    }

    /// Remember `address`.
    @inline(__always) mutating func insert(_ address: TransportAddress) {
        if !contains(address) { add(address) }
    }

    @inline(never) private mutating func add(_ address: TransportAddress) {
        if first == Self.none {
            first = address
        } else if second == Self.none {
            second = address
        } else {
            more = (more ?? []) + [address]
        }
    }
}
