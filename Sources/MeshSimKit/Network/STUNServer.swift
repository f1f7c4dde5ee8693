import SignalProtocol

/// The STUN server (RFC 8489, Binding method only): it answers a Binding request with the
/// source address it saw, which is how a host behind a NAT learns its server-reflexive address.
/// Stateless, as RFC 8489 section 6.3 lets a server be for Binding; reachable while
/// `network.stun` is on.
enum STUNServer {
    /// The server's public address (RFC 8489 default port 3478).
    static let address = TransportAddress(ip: 0x0909_0909, port: 3478)

    /// The success response to `request`, sent back to where it came from; nil for anything
    /// that is not a Binding request.
    /// `server`: the address that answers (the TURN server answers Binding requests too, as
    /// coturn does, and libwebrtc sends them there when no STUN server is configured).
    static func answer(_ request: Datagram, from server: TransportAddress = address) -> Datagram? {
        guard case .stun(let m) = request.packet, m.kind == .bindingRequest else { return nil }
        let response = STUNMessage(kind: .bindingSuccess, transactionID: m.transactionID, mappedAddress: request.from)
        return Datagram(from: server, to: request.from, packet: .stun(response))
    }
}
