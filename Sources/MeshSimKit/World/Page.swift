import SignalProtocol

/// One browser tab: its uid, its mesh manager and the peer connections it created.
///
/// A page is a single load of a document: a refresh replaces it with a new `Page` that keeps
/// only the uid (sessionStorage), as a browser does.
struct Page {
    /// The uid the page keeps in sessionStorage (a policy may replace it after a uid clash).
    var uid: String
    /// The uids it held before (a rejoin under a fresh uid): a signal it sent under one of
    /// them may still be on its way, stamped rightly with the old uid.
    var formerUids: [String] = []
    /// The name reports and traces use: the peer id, or the `as` name of a duplicated tab.
    let name: String
    /// Index of the peer name in the oracle's table.
    let slot: PeerID
    let host: Int32
    /// The machine whose cores its threads share.
    let machine: MachineID
    /// When each of its threads is next free (docs/model.md, "CPU").
    var threads: PageThreads
    /// Its script logs every record to a DevTools client (`DevToolsLogging`).
    var devtoolsLogging = false
    /// The kinds of work (`CPUWork` raw values as bits) this document has done at least once.
    var warmed: UInt32 = 0
    /// The network service's limit on the page's STUN to addresses not yet heard from.
    var stunThrottle = STUNThrottle()
    /// When the latest state change posted towards the script arrives there (they keep order).
    var lastStatePost: Int64 = 0
    var alive = true
    var manager: MeshManager
    /// LinkID.raw → index in `Simulation.connections`.
    var linkConnections: [Int32] = []
    /// The page's WebSocket, if one is open or opening.
    var socket: SocketID?
    var wsOpen = false
    /// Its WebSocket has been open at least once (else it is still opening the first time).
    var wsOpenedOnce = false
    /// When its document has loaded and its script runs (the load's CPU work done).
    var scriptRunsAt: Int64 = 0
    var wsEpoch: UInt32 = 0
    /// Consecutive failed connection attempts, for the reconnect backoff.
    var wsFailures = 0
    /// The attempt under way is a reconnect (set by the backoff timer, cleared on open): the
    /// first attempt of a page failing waits the backoff's first step, 1 s, as a socket that
    /// closed does (QA, session 15: it waited 2 s).
    var wsRetrying = false
    /// When the pending reconnect attempt is due (for the diagnosis).
    var wsNextAttemptAt: Int64 = 0
    /// The server replaced this page's socket (another page claimed the uid): do not reconnect.
    var wsGaveUp = false
    /// The server's last answer to this page's hello was `uidTaken` (another page holds the
    /// uid and this one lacks its secret), not yet followed by an `init`: for diagnosis.
    var uidRefused = false
    /// Delay of the next reconnect attempt, if a `wsDrop` event fixed it.
    var wsNextDelay: Int64?
    /// uid → the connection this page created for it most recently (what the oracle judges).
    var latestConnection: [String: Int32] = [:]
    /// The manager's recent decisions about each remote uid (time, text), for diagnosis.
    var decisions: [String: [(time: Int64, text: String)]] = [:]
    /// Remote uids a connection of this page reached connectionState `failed` with (ICE gave
    /// up on every candidate pair), for diagnosis: membership only, never iterated.
    var failedWith: Set<String> = []
    /// Peer connections currently open (not closed) on this page: Chromium caps them.
    var openConnections = 0
}

/// A piece of a page's main-thread work waiting for its turn (the `.pageTask` event names it).
enum PageTask {
    /// A WebSocket frame the page's script receives (a message or the close). Boxed: a frame
    /// is three times the size of the other cases, and tasks wait by the million in a storm.
    indirect case frame(WebSocketFrame)
    /// A connection event that took a longer way (`Simulation.scheduleDeliveries`): when it
    /// gets to the main thread, it queues there.
    case hop(Delivery)
    /// A connection event dispatched to the page's script.
    case delivery(Delivery)
    /// A timer the page's mesh manager set (index into `Simulation.meshTimers`) fires.
    case meshTimer(Int32)
}

/// One RTCPeerConnection in the world, with the bookkeeping the simulator keeps around it.
///
/// A class, so that the simulator mutates the (large) connection state in place instead of
/// copying it out of an array on every access.
final class ConnectionSlot {
    // The fields every event reads come first, on the object's first cache line with its
    // header; the connection itself (hundreds of bytes) after them. `closed` sat 792 bytes in,
    // a cache line of its own that every datagram and timer event missed first.
    var closed = false
    let page: Int32
    /// The pending timer event: when and which epoch (older timer events are stale).
    var timerAt: Int64 = .max
    var timerEpoch: UInt32 = 0
    /// The pending timer event's ticket in the queue (0: none, or not withdrawable): a re-arm
    /// withdraws it instead of leaving it to come due stale (`rearmTimer`).
    var timerTicket: UInt64 = 0
    var pc: PeerConnection
    let link: LinkID
    /// The uid the page's manager created it for.
    let remoteUID: String
    let port: UInt16
    /// The connection's socket address (its host candidate), kept here for the hot path.
    let base: TransportAddress
    /// The same for the data transport's timer, in runs with `traffic` (`syncDataTimer`).
    var dataTimerAt: Int64 = .max
    var dataTimerEpoch: UInt32 = 0
    var dataTimerTicket: UInt64 = 0

    /// Runs `body` on the connection in place. Reading a computed property through `slot.pc`
    /// copies the whole `PeerConnection` (the compiler cannot prove that nothing else touches
    /// the class's storage meanwhile); an inout access does not.
    @inline(__always) func inPlace<R>(_ body: (inout PeerConnection) -> R) -> R { body(&pc) }
    /// Creation refused (Chromium's per-page cap): the connection never does anything.
    var refused = false
    /// States as the page observed them through events (what the oracle judges by).
    var observedConnection: PeerConnectionState = .new
    /// The page saw it `connected` at least once: its media tracks flow until it closes or fails.
    var sawConnected = false
    var observedChannelOpen = false
    /// The remote session id last announced as this connection's association (`association`).
    var announcedRemoteSession: UInt64?
    /// When a description from another remote connection than the one it belonged to was
    /// applied to it (an offer of the other side's new connection, the link not replaced).
    var foreignOfferAt: Int64?
    var selectedRelay = false
    /// ICE reported `connected` at least once (a pair ever worked).
    var iceEverConnected = false
    /// The same since ICE last started (`new`, an ICE restart): a connection still open whose
    /// pairs worked only before a restart (through a TURN server since turned off) and have
    /// failed ever since is a connectivity problem again (found by `fuzz`).
    var iceConnectedSinceRestart = false
    /// This connection's checks the network dropped, by reason (for stuck-pair diagnosis).
    var checkDrops = CheckDrops()
    /// Addresses from which the connection's socket received a STUN request or response:
    /// the network service's `connected_peers_`, to which STUN goes unthrottled (`STUNThrottle`).
    @exclusivity(unchecked) var heardFrom = HeardAddresses()
    /// When the page closed or dropped this connection, and the manager's reason if it gave one.
    var closedAt: Int64?
    var closedBecause: String?

    init(pc: PeerConnection, page: Int32, link: LinkID, remoteUID: String, port: UInt16) {
        self.pc = pc
        self.page = page
        self.link = link
        self.remoteUID = remoteUID
        self.port = port
        self.base = pc.base
    }
}

/// Connectivity checks (STUN Binding requests) of one connection that the network dropped.
struct CheckDrops {
    /// By the remote NAT's filter (a mapping existed but did not admit the sender).
    var filtered = 0
    /// At a remote NAT without a live mapping on the target port.
    var noMapping = 0
    /// Addressed to a private address outside the sender's LAN.
    var unroutable = 0
    /// By a `udp: false` firewall.
    var firewall = 0
    /// Lost in the network (`loss`).
    var lost = 0
    /// Dropped because a host was offline or a partition was in force: the checks failed for
    /// a while, not for the NATs' sake (QA, session 15: a set-up during an outage was blamed on
    /// NAT filtering, "add a TURN server").
    var outage = 0

    mutating func record(_ reason: DropReason) {
        switch reason {
        case .filtered: filtered += 1
        case .noMapping: noMapping += 1
        case .unroutable: unroutable += 1
        case .firewall: firewall += 1
        case .loss, .queueFull: lost += 1
        case .offline, .partition: outage += 1
        }
    }
}
