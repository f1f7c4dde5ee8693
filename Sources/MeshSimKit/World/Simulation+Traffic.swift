import SignalProtocol

/// Application traffic over the mesh's data channels (scenario `traffic`).
extension Simulation {
    /// A connection's data-channel event. Only connections of a run with `traffic` open
    /// negotiated channels, so without traffic nothing reaches here.
    func dataEvent(_ event: DataEvent, connection c: Int32) {
    }
}
