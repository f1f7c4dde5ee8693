import SignalProtocol

/// One browser tab: its uid, its mesh manager and the peer connections it created.
///
/// A page is a single load of a document: a refresh replaces it with a new `Page` that keeps
/// only the uid (sessionStorage), as a browser does.
struct Page {
    /// The uid the page keeps in sessionStorage.
    let uid: String
    /// The name reports and traces use: the peer id, or the `as` name of a duplicated tab.
    let name: String
    /// Index of the peer name in the oracle's table.
    let slot: Int32
    let host: Int32
    let loadedAt: Int64
    var alive = true
    var manager: MeshManager
    /// LinkID.raw → index in `Simulation.connections`.
    var linkConnections: [Int32] = []
    /// The page's WebSocket, if one is open or opening.
    var socket: SocketID?
    var wsOpen = false
    var wsEpoch: UInt32 = 0
    /// uid → the connection this page created for it most recently (what the oracle judges).
    var latestConnection: [String: Int32] = [:]
    /// Peer connections currently open (not closed) on this page: Chromium caps them.
    var openConnections = 0
}

/// One RTCPeerConnection in the world, with the bookkeeping the simulator keeps around it.
///
/// A class, so that the simulator mutates the (large) connection state in place instead of
/// copying it out of an array on every access.
final class ConnectionSlot {
    var pc: PeerConnection
    let page: Int32
    let link: LinkID
    /// The uid the page's manager created it for.
    let remoteUID: String
    let port: UInt16
    /// The connection's socket address (its host candidate), kept here for the hot path.
    let base: TransportAddress
    /// The pending timer event: when and which epoch (older timer events are stale).
    var timerAt: Int64 = .max
    var timerEpoch: UInt32 = 0
    var closed = false
    /// Creation refused (Chromium's per-page cap): the connection never does anything.
    var refused = false
    /// States as the page observed them through events (what the oracle judges by).
    var observedConnection: PeerConnectionState = .new
    var observedChannelOpen = false
    var selectedRelay = false

    init(pc: PeerConnection, page: Int32, link: LinkID, remoteUID: String, port: UInt16) {
        self.pc = pc
        self.page = page
        self.link = link
        self.remoteUID = remoteUID
        self.port = port
        self.base = pc.base
    }
}

/// One WebSocket between a page and the signaling server.
struct WebSocketLink {
    let page: Int32
    var open = true
    /// Arrival time of the last message in each direction: a stream never reorders.
    var lastToServer: Int64 = 0
    var lastToPage: Int64 = 0
}

/// A WebSocket message in flight.
struct WebSocketFrame {
    let socket: SocketID
    let toServer: Bool
    let message: WireMessage
    /// For server→page signals: the page that sent the original (invariant checks).
    let origin: Int32
}
