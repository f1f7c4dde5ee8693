/// A WebSocket connection as the signaling server sees it; the caller (a real server or the
/// simulator) numbers its sockets and never reuses a number while the socket is open.
public struct SocketID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var raw: UInt32

    public init(_ raw: UInt32) {
        self.raw = raw
    }

    public static func < (a: SocketID, b: SocketID) -> Bool { a.raw < b.raw }

    public var description: String { "socket#\(raw)" }
}

/// What the caller must do after feeding the server an event, in order.
public enum ServerAction: Equatable, Sendable {
    /// Send this message on this socket.
    case send(SocketID, WireMessage)
    /// Close this socket (the caller reports `socketClosed` once it is gone).
    case close(SocketID)
}

/// The signaling server of the mesh notes (DESIGN.md "In short") as a state machine.
///
/// ### Function
///
/// The server is responsible for:
///
/// 1. Registering pages: `hello(uid)` on a fresh socket binds the uid to that socket, answers
///    `init` (your uid, every other uid online, in registration order) and tells every other
///    registered socket `online(uid)`, in registration order.
/// 2. Relaying signals: `signal(to:)` from a registered socket goes to `to`'s socket with `from`
///    stamped by the server with the sender's uid, whatever the page wrote, so no page can speak
///    for another (the notes: "the server, not the client, must stamp `from`").
/// 3. Announcing departures: when a registered socket goes away (clean close, or a ping timeout
///    the caller detected) every other registered socket hears `offline(uid)`.
/// 4. Refusing what does not fit, with an `error` to the offending socket only: a signal before
///    `hello` (`notRegistered`), a second `hello` (`alreadyRegistered`), an empty or overlong uid
///    (`invalidUid`), a signal to a uid not online (`unknownPeer`) or to oneself (`signalToSelf`),
///    and server-to-page messages sent by a page (`malformed`).
///
/// It does no I/O and keeps no clock: inputs are socket opened/closed and a decoded message in;
/// outputs are `ServerAction`s the caller executes in order.
///
/// ### Implementation
///
/// All state is one small struct: what each open socket is (`Connection`), which socket holds
/// each uid, and the uids in registration order. Relaying a signal is two dictionary lookups;
/// broadcasts walk the registration-order array, so no output ever depends on dictionary order.
///
/// ### The surprising corner: a second socket claiming a live uid ("newest wins")
///
/// After a crash and session restore the server may still hold the old page's half-open socket
/// when the restored page says `hello` with the same uid; a duplicated tab does the same with a
/// live page. PeerJS answers "ID is taken", which locks the restored page out until the old socket
/// times out. This server lets the **newest** socket win:
/// - the old socket is sent `error(uidReplaced, peer: uid)` and then `close`, and becomes
///   *replaced*: anything more it sends is dropped, and its later `socketClosed` changes nothing
///   (in particular it does not take the uid offline);
/// - **no** `offline` is broadcast for it;
/// - the uid moves to the end of the registration order and maps to the new socket, which gets
///   `init` (everyone else online), and every other registered socket gets `online(uid)` again;
///   the mesh manager's reconnect rule then decides what a repeated `online` means.
public struct SignalingServer: Sendable {
    /// The longest uid accepted, in characters.
    public static let maxUIDLength = 64

    /// What an open socket is to the server.
    private enum Connection: Sendable {
        /// Opened, no `hello` yet.
        case unregistered
        /// Holds this uid.
        case registered(String)
        /// Held this uid until a newer socket claimed it; told to close, ignored until it is gone.
        case replaced(String)
    }

    private var connections: [SocketID: Connection] = [:]
    private var socketByUID: [String: SocketID] = [:]
    /// Registered uids, oldest registration first.
    private var registrationOrder: [String] = []

    /// Signals relayed to their destination since the server started.
    public private(set) var relayedSignals: Int = 0

    public init() {}

    /// The uids online now, in registration order (a re-registered uid is at the end).
    public var onlineUIDs: [String] { registrationOrder }

    /// The uid registered on `s`, or nil if `s` is unknown, unregistered or replaced.
    public func uid(of s: SocketID) -> String? {
        if case .registered(let uid)? = connections[s] { return uid }
        return nil
    }

    /// The socket that holds `uid`, or nil if `uid` is not online.
    public func socket(of uid: String) -> SocketID? {
        socketByUID[uid]
    }

    // MARK: - Events

    /// A WebSocket connected. A socket the server already knows is left as it is.
    public mutating func socketOpened(_ s: SocketID, into actions: inout [ServerAction]) {
        if connections[s] == nil {
            connections[s] = .unregistered
        }
    }

    /// A socket went away: closed by the page, by us after `close`, or declared dead by the
    /// caller's ping timeout. If it held a uid, every other registered socket hears `offline(uid)`.
    /// A replaced or unregistered socket leaves silently.
    public mutating func socketClosed(_ s: SocketID, into actions: inout [ServerAction]) {
        guard let connection = connections.removeValue(forKey: s) else { return }
        guard case .registered(let uid) = connection else { return }
        unregister(uid)
        broadcast(.offline(uid: uid), into: &actions)
    }

    /// A decoded message arrived on `s`. Messages on a socket that is unknown (never opened or
    /// already closed) or replaced are dropped without an answer.
    public mutating func receive(_ m: WireMessage, from s: SocketID, into actions: inout [ServerAction]) {
        guard let connection = connections[s] else { return }
        if case .replaced = connection { return }
        switch m {
        case .hello(let uid):
            hello(uid, from: s, connection: connection, into: &actions)
        case .signal(_, let to, let payload):
            signal(to: to, payload: payload, from: s, connection: connection, into: &actions)
        case .initial, .online, .offline, .error:
            actions.append(.send(s, .error(code: .malformed,
                                           detail: "a page may send only hello and signal, not \(m.typeName)",
                                           peer: nil)))
        }
    }

    // MARK: - Private

    private mutating func hello(_ uid: String, from s: SocketID, connection: Connection,
                                into actions: inout [ServerAction]) {
        if case .registered(let current) = connection {
            actions.append(.send(s, .error(code: .alreadyRegistered,
                                           detail: "this socket is already registered as '\(current)'",
                                           peer: current)))
            return
        }
        guard Self.isValidUID(uid) else {
            actions.append(.send(s, .error(code: .invalidUid,
                                           detail: "a uid must have 1 to \(Self.maxUIDLength) characters",
                                           peer: nil)))
            return
        }
        if let old = socketByUID[uid] {
            // Newest wins (see the type's documentation): no offline for the old socket.
            connections[old] = .replaced(uid)
            unregister(uid)
            actions.append(.send(old, .error(code: .uidReplaced,
                                             detail: "another connection registered uid '\(uid)'",
                                             peer: uid)))
            actions.append(.close(old))
        }
        actions.append(.send(s, .initial(you: uid, online: registrationOrder)))
        broadcast(.online(uid: uid), into: &actions)
        connections[s] = .registered(uid)
        socketByUID[uid] = s
        registrationOrder.append(uid)
    }

    private mutating func signal(to: String, payload: SignalPayload, from s: SocketID, connection: Connection,
                                 into actions: inout [ServerAction]) {
        guard case .registered(let sender) = connection else {
            actions.append(.send(s, .error(code: .notRegistered,
                                           detail: "say hello before sending signals", peer: to)))
            return
        }
        guard to != sender else {
            actions.append(.send(s, .error(code: .signalToSelf,
                                           detail: "a signal cannot be addressed to its sender", peer: to)))
            return
        }
        guard let target = socketByUID[to] else {
            actions.append(.send(s, .error(code: .unknownPeer,
                                           detail: "no peer '\(to)' is online", peer: to)))
            return
        }
        relayedSignals += 1
        actions.append(.send(target, .signal(from: sender, to: to, payload: payload)))
    }

    /// Sends `m` to every registered socket, in registration order.
    private func broadcast(_ m: WireMessage, into actions: inout [ServerAction]) {
        actions.reserveCapacity(actions.count + registrationOrder.count)
        for uid in registrationOrder {
            if let socket = socketByUID[uid] {
                actions.append(.send(socket, m))
            }
        }
    }

    /// Forgets `uid`'s registration; O(online) for the order array, as the broadcast that follows.
    private mutating func unregister(_ uid: String) {
        socketByUID[uid] = nil
        if let index = registrationOrder.firstIndex(of: uid) {
            registrationOrder.remove(at: index)
        }
    }

    /// Non-empty and at most `maxUIDLength` characters (the UTF-8 length bounds the character
    /// count, so the common short uid is checked in O(1)).
    static func isValidUID(_ uid: String) -> Bool {
        if uid.isEmpty { return false }
        if uid.utf8.count <= maxUIDLength { return true }
        return uid.count <= maxUIDLength
    }
}
