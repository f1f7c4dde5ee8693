import SignalProtocol

/// The WebSockets between pages and the signaling server, as TCP streams over the hosts'
/// access links: each direction of a socket delivers its frames in order (jitter delays a
/// frame, it never overtakes the one before), and a frame that finds its host offline is
/// retransmitted until the host is back. What a frame means is the world's business
/// (`Simulation+Pages.swift`); this type only knows sockets, frames and when they arrive.
struct WebSocketTransport {
    /// Frames that find an end unreachable are retried (TCP retransmission) this often.
    static let tcpRetry: Int64 = 1 * nsPerSecond

    /// Every socket ever opened, indexed by `SocketID.raw` (closed ones stay, with both ends
    /// marked closed, so late frames can still be told apart).
    private(set) var links: [WebSocketLink] = []
    /// Frames in flight, named by `.wsArrive` events.
    private var frames = Slab<WebSocketFrame>()
    /// The most frames in flight at once.
    var framesHighWater: Int { frames.highWater }

    /// A new socket of `page`, open at both ends.
    mutating func open(page: Int32, at now: Int64) -> SocketID {
        let socket = SocketID(UInt32(links.count))
        links.append(WebSocketLink(page: page, lastToServer: now, lastToPage: now))
        return socket
    }

    subscript(socket: SocketID) -> WebSocketLink {
        get { links[Int(socket.raw)] }
        set { links[Int(socket.raw)] = newValue }
    }

    /// Sockets whose server end is open, in the order they were opened.
    var openAtServer: [SocketID] {
        links.indices.filter { links[$0].serverOpen }.map { SocketID(UInt32($0)) }
    }

    /// Put `frame` on its socket, leaving at `departure` and taking `delay` on the way; returns
    /// the slot the `.wsArrive` event names and when it arrives. A frame never arrives before
    /// one sent earlier in the same direction, except a page's pong (`inOrder: false`): the
    /// browser sends it at once, ahead of frames its busy script queued with later departure
    /// times.
    mutating func send(_ frame: WebSocketFrame, departure: Int64, delay: Int64,
                       inOrder: Bool = true) -> (slot: Int32, at: Int64) {
        var at = departure + delay
        if inOrder {
            let i = Int(frame.socket.raw)
            if frame.toServer {
                at = max(at, links[i].lastToServer)
                links[i].lastToServer = at
            } else {
                at = max(at, links[i].lastToPage)
                links[i].lastToPage = at
            }
        }
        return (frames.insert(frame), at)
    }

    /// Put `frame` back to be handled at `at` (after the server's process read it), outside
    /// the stream's order: the stream already delivered it.
    mutating func hold(_ frame: WebSocketFrame) -> Int32 {
        frames.insert(frame)
    }

    /// The frame named by an arrival event (its slot is free afterwards).
    mutating func take(_ slot: Int32) -> WebSocketFrame {
        frames.remove(slot)
    }

    /// `frame` found its host offline at `now`: TCP tries again a second later, and every later
    /// frame of that direction waits behind it.
    mutating func retransmit(_ frame: WebSocketFrame, now: Int64) -> (slot: Int32, at: Int64) {
        let i = Int(frame.socket.raw)
        let at: Int64
        if frame.toServer {
            links[i].lastToServer = max(links[i].lastToServer, now + Self.tcpRetry)
            at = links[i].lastToServer
        } else {
            links[i].lastToPage = max(links[i].lastToPage, now + Self.tcpRetry)
            at = links[i].lastToPage
        }
        return (frames.insert(frame), at)
    }
}

/// One WebSocket between a page and the signaling server, as a TCP connection: each end
/// knows separately whether it is still open (a crash leaves the server holding a half-open
/// socket until its ping times out).
struct WebSocketLink {
    let page: Int32
    var serverOpen = true
    var pageOpen = true
    /// Arrival time of the last frame in each direction: a stream never reorders.
    var lastToServer: Int64 = 0
    var lastToPage: Int64 = 0
    /// The server sent a ping and has not seen the pong yet.
    var awaitingPong = false
    /// The page closed the socket and the server has answered its Close frame: the server's
    /// handler learns that the socket is gone only when the TCP connection has closed behind
    /// it (RFC 6455 section 7, the closing handshake).
    var serverAnsweredClose = false
}

/// What travels on a WebSocket: application messages and the control frames MeshSim models.
enum WebSocketContent {
    case message(WireMessage)
    /// Raw text-frame bytes (what attackers send; honest pages send decoded messages).
    case raw([UInt8])
    case ping
    case pong
    /// The sender closed the connection (a close frame, or TCP FIN/RST).
    case close
}

/// A WebSocket frame in flight.
struct WebSocketFrame {
    let socket: SocketID
    let toServer: Bool
    let content: WebSocketContent
    /// For server→page signals: the page that sent the original (invariant checks).
    let origin: Int32
    /// The serial of the signal it carries (page→server) or relays (server→page), else -1:
    /// its `signal` and `signalDelivered` observations share it.
    var signalSerial: Int32 = -1
    /// A frame to the server that the server's process has read (its CPU work is done): the
    /// server's state machine handles it now (`Simulation+Processes.swift`).
    var serverRead = false
}
