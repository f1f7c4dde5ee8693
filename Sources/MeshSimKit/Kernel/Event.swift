/// One scheduled happening in the simulation.
///
/// Deliberately tiny (a tag and two 32-bit indices) so that the event queue holds plain
/// 24-byte entries: anything bigger (a datagram, a WebSocket message) lives in a slab owned by
/// the world and the event names its slot. A new case needs a tag in `EventQueue.encode` and
/// `EventQueue.decode` (the compiler points at the first; a kernel test checks both).
enum Event {
    /// Run `scenario.events[index]`.
    case scenarioAction(Int32)
    /// A page (index into `World.pages`) loads and opens its WebSocket.
    case pageLoad(Int32)
    /// A WebSocket handshake completes; `epoch` guards against the socket having been torn down since.
    case wsOpened(page: Int32, epoch: UInt32)
    /// A WebSocket message arrives at its far end (slot in `World.wsInFlight`).
    case wsArrive(Int32)
    /// A UDP datagram arrives at its destination address (slot in `Network.datagrams`).
    case datagramArrive(Int32)
    /// A peer connection's operations chain runs its next queued task.
    case pcTask(Int32)
    /// A peer connection's timer (ICE pacing, STUN, DTLS/SCTP retransmission) is due.
    case pcTimer(Int32, epoch: UInt32)
    /// A page's WebSocket reconnect timer.
    case wsReconnect(page: Int32, epoch: UInt32)
    /// The signaling server's heartbeat: ping every socket, drop the silent ones.
    case serverPing
    /// The signaling server comes back after a restart.
    case serverUp
    /// A timed part of a scenario event (index into `Simulation.deferred`): a reloaded page
    /// loads, a host comes back online, a partition heals.
    case deferred(Int32)
    /// A mesh manager's timer (index into `Simulation.meshTimers`).
    case meshTimer(Int32)
    /// A page's main-thread task (index into `Simulation.pageTasks`) reaches its turn.
    case pageTask(Int32)
    /// Kernel benchmark event (the hold model); carries nothing.
    case bench
    /// A page's `traffic` flow (index into `scenario.traffic`) sends its next messages.
    case trafficTick(page: Int32, flow: UInt32)
    /// A peer connection's data-transport timer (delayed SACK, T3-rtx) is due: in runs with
    /// `traffic`, these run apart from the connection's own timer (`Simulation.syncDataTimer`).
    case dataTimer(Int32, epoch: UInt32)
    /// Media streams' demand is sampled and the hosts' bottleneck queues advance (`MediaLinks`).
    case mediaTick
}
