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

/// What the server tolerates from one socket. The defaults are far above what an honest page
/// sends (a page joining a 1,000-page mesh answers about 5,000 signals within seconds; a page
/// already in a mesh that 100 pages a second join sends an offer and two or three candidates
/// to each, 300–400 messages a second, in bursts when its script catches up) and far below what
/// would let one socket swamp the server.
public struct ServerLimits: Sendable, Equatable {
    /// The largest text frame accepted, in bytes; a larger one gets `messageTooLarge` and the
    /// socket is closed (as the `ws` library's `maxPayload`).
    public var maxMessageBytes: Int = 64 << 10
    /// Token bucket per socket: it holds `burst + burstPerPeer × (uids online)` messages, capped
    /// at `maxBurst`, and refills at `messagesPerSecond`. A message that finds it empty gets
    /// `rateLimited` and the socket is closed.
    public var burst: Int = 256
    public var burstPerPeer: Int = 16
    public var maxBurst: Int = 20_000
    public var messagesPerSecond: Int = 1_000
    /// A socket whose `hello` was refused this many times (`uidTaken`) is closed.
    public var maxRefusedClaims: Int = 3
    /// Offline uids whose reclaim secret the server remembers, oldest forgotten first.
    public var rememberedUIDs: Int = 100_000

    public init() {}
}

/// The signaling server of the mesh notes (DESIGN.md "In short") as a state machine.
///
/// ### Function
///
/// The server is responsible for:
///
/// 1. Registering pages: `hello(uid)` on a fresh socket binds the uid to that socket, answers
///    `init` (your uid, every other uid online, in registration order, and the uid's reclaim
///    secret) and tells every other registered socket `online(uid)`, in registration order.
/// 2. Relaying signals: `signal(to:)` from a registered socket goes to `to`'s socket with `from`
///    stamped by the server with the sender's uid, whatever the page wrote, so no page can speak
///    for another (the notes: "the server, not the client, must stamp `from`").
/// 3. Announcing departures: when a registered socket goes away (clean close, or a ping timeout
///    the caller detected) every other registered socket hears `offline(uid)`.
/// 4. Refusing what does not fit, with an `error` to the offending socket only: a signal before
///    `hello` (`notRegistered`), a second `hello` (`alreadyRegistered`), an empty or overlong uid
///    (`invalidUid`), a claim on someone else's uid (`uidTaken`), a signal to a uid not online
///    (`unknownPeer`) or to oneself (`signalToSelf`), server-to-page messages sent by a page
///    (`malformed`), and, through `receive(frame:)`, text that does not decode (`malformed`,
///    `unsupportedVersion`).
/// 5. Protecting itself: a frame above `ServerLimits.maxMessageBytes` (`messageTooLarge`) or a
///    message beyond the socket's rate limit (`rateLimited`) gets an error and the socket is closed;
///    a registered socket closed this way goes offline at once.
///
/// It does no I/O and keeps no clock: inputs are socket opened/closed and a message in, with the
/// caller's time (any monotonic nanosecond count) for the rate limit; outputs are `ServerAction`s
/// the caller executes in order.
///
/// ### Who may hold a uid: the reclaim secret
///
/// The first page to register a uid is issued a secret in `init`; the page keeps it beside the
/// uid in sessionStorage, so a reload, a session restore and a duplicated tab (which copies
/// sessionStorage) all have it. While the uid is online, and after it went offline for as long as
/// the server remembers it (`ServerLimits.rememberedUIDs`, oldest forgotten first), a `hello` for
/// it must carry that secret:
/// - with the right secret the new socket takes the uid over ("newest wins", below);
/// - without it, or with a wrong one, the claim is refused with `error(uidTaken, peer: uid)`; the
///   socket stays open and unregistered (it may say `hello` with another uid), and after
///   `maxRefusedClaims` refusals it is closed. Knowing a uid is therefore not enough to take it.
/// A uid the server does not know (never seen, forgotten, or after a restart wiped its state) is
/// registered afresh with a new secret, which the page stores in place of any old one. So is an
/// offline uid whose secret never provably reached its page: a page that reloads between its
/// `hello` and the `init` carrying the secret must not lose its uid. A secret is proven once
/// the page reclaims the uid with it or sends anything after `hello` (the ordered socket
/// delivered `init` first). An online uid always needs its secret.
///
/// Secrets come from a generator seeded by `secretSeed` (splitmix64, 128 bits per secret), so a
/// simulation is reproducible; a real server must seed it from a cryptographic source.
///
/// ### Signals only between introduced pages
///
/// The server relays a signal only from a registered socket to the current socket of a uid that is
/// online. Every registered socket has been introduced to every other registered uid (by `init`
/// or `online`), so that is exactly "pages the server introduced"; anything else is refused
/// (`notRegistered`, `unknownPeer`) and never relayed.
///
/// ### The surprising corner: a second socket claiming a live uid ("newest wins")
///
/// After a crash and session restore the server may still hold the old page's half-open socket
/// when the restored page says `hello` with the same uid; a duplicated tab does the same with a
/// live page. PeerJS answers "ID is taken", which locks the restored page out until the old socket
/// times out. This server lets the **newest** socket win, provided it holds the uid's secret:
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
    private enum State: Sendable {
        /// Opened, no `hello` yet.
        case unregistered
        /// Holds this uid.
        case registered(String)
        /// Told to close (replaced by a newer socket for its uid, or closed for abuse); ignored
        /// until it is gone, and its going changes nothing.
        case closing
    }

    private struct Connection: Sendable {
        var state: State = .unregistered
        /// Rate-limit tokens, in billionths of a message.
        var tokens: Int64
        var lastRefill: Int64
        var refusedClaims = 0
    }

    public let limits: ServerLimits
    private var connections: [SocketID: Connection] = [:]
    private var socketByUID: [String: SocketID] = [:]
    /// Registered uids, oldest registration first.
    private var registrationOrder: [String] = []
    /// The instance id each registered uid's page sent in its hello (protocol version 2).
    private var instanceByUID: [String: String] = [:]
    /// uid → its reclaim secret, for online uids and remembered offline ones.
    private var secrets: [String: String] = [:]
    /// uids whose secret has provably reached their page: the page reclaimed the uid with it, or
    /// sent something after `hello` (which it can only do after reading `init`, which precedes
    /// everything else on the ordered socket). Membership only.
    private var proven: Set<String> = []
    /// Offline uids in the order they went offline, each with a stamp; an entry whose stamp is
    /// no longer the uid's (it came back online, or went offline again later) is stale.
    private var offlineQueue: [(uid: String, generation: Int)] = []
    private var offlineHead = 0
    private var offlineGeneration: [String: Int] = [:]
    private var offlineCounter = 0
    private var rememberedOffline = 0
    private var secretState: UInt64

    /// Signals relayed to their destination since the server started.
    public private(set) var relayedSignals: Int = 0
    /// Claims on a uid refused for want of its secret (`uidTaken`) since the server started.
    public private(set) var refusedClaims: Int = 0

    public init(limits: ServerLimits = ServerLimits(), secretSeed: UInt64 = 0) {
        self.limits = limits
        self.secretState = secretSeed
    }

    /// The uids online now, in registration order (a re-registered uid is at the end).
    public var onlineUIDs: [String] { registrationOrder }

    /// The uid registered on `s`, or nil if `s` is unknown, unregistered or closing.
    public func uid(of s: SocketID) -> String? {
        if case .registered(let uid)? = connections[s]?.state { return uid }
        return nil
    }

    /// The socket that holds `uid`, or nil if `uid` is not online.
    public func socket(of uid: String) -> SocketID? {
        socketByUID[uid]
    }

    /// The reclaim secret of `uid` while the server knows it (online or remembered).
    public func secret(of uid: String) -> String? {
        secrets[uid]
    }

    // MARK: - Events

    /// A WebSocket connected. A socket the server already knows is left as it is.
    public mutating func socketOpened(_ s: SocketID, at time: Int64 = 0, into actions: inout [ServerAction]) {
        if connections[s] == nil {
            connections[s] = Connection(tokens: bucketCapacity, lastRefill: time)
        }
    }

    /// A socket went away: closed by the page, by us after `close`, or declared dead by the
    /// caller's ping timeout. If it held a uid, every other registered socket hears `offline(uid)`.
    /// A closing or unregistered socket leaves silently.
    public mutating func socketClosed(_ s: SocketID, into actions: inout [ServerAction]) {
        guard let connection = connections.removeValue(forKey: s) else { return }
        guard case .registered(let uid) = connection.state else { return }
        unregister(uid)
        broadcast(.offline(uid: uid), into: &actions)
    }

    /// A text frame arrived on `s`: checked against the size cap and the rate limit, decoded,
    /// then handled as `receive(_:from:at:into:)`. Undecodable text gets an `error` with the
    /// decoder's code and message.
    public mutating func receive(frame bytes: [UInt8], from s: SocketID, at time: Int64 = 0,
                                 into actions: inout [ServerAction]) {
        guard admit(s, at: time, into: &actions) else { return }
        guard bytes.count <= limits.maxMessageBytes else {
            abuse(s, .messageTooLarge, "a message may have at most \(limits.maxMessageBytes) bytes, got \(bytes.count)",
                  into: &actions)
            return
        }
        switch WireCodec.decode(bytes) {
        case .success(let m):
            handle(m, from: s, into: &actions)
        case .failure(let e):
            actions.append(.send(s, .error(code: e.code, detail: e.message, peer: nil)))
        }
    }

    /// A decoded message arrived on `s` at `time`. Messages on a socket that is unknown (never
    /// opened or already closed) or closing are dropped without an answer.
    public mutating func receive(_ m: WireMessage, from s: SocketID, at time: Int64 = 0,
                                 into actions: inout [ServerAction]) {
        guard admit(s, at: time, into: &actions) else { return }
        handle(m, from: s, into: &actions)
    }

    // MARK: - Private

    private static let tokenScale: Int64 = 1_000_000_000

    /// The rate-limit bucket's size now, in billionths of a message (grows with the mesh).
    private var bucketCapacity: Int64 {
        // Saturating arithmetic: limits are public and may hold anything.
        let (perPeer, o1) = max(limits.burstPerPeer, 0).multipliedReportingOverflow(by: registrationOrder.count)
        let (sum, o2) = max(limits.burst, 0).addingReportingOverflow(o1 ? Int.max : perPeer)
        let messages = min(max(limits.maxBurst, 0), o2 ? Int.max : sum, 1 << 32)
        return Int64(messages) * Self.tokenScale
    }

    /// Refills the socket's bucket and takes one token; false if the message must be dropped
    /// (unknown or closing socket, or the limit hit, in which case the socket is closed).
    private mutating func admit(_ s: SocketID, at time: Int64, into actions: inout [ServerAction]) -> Bool {
        guard var c = connections[s] else { return false }
        if case .closing = c.state { return false }
        let capacity = bucketCapacity
        let rate = Int64(min(max(limits.messagesPerSecond, 0), 1 << 32))
        if time > c.lastRefill {
            // Clamp the elapsed time to what fills the bucket, so the product cannot overflow.
            let fill = rate > 0 ? capacity / rate + 1 : 0
            let (gap, overflow) = time.subtractingReportingOverflow(c.lastRefill)
            let elapsed = overflow ? fill : min(gap, fill)
            c.tokens = min(capacity, c.tokens + elapsed * rate)
            c.lastRefill = time
        }
        if c.tokens < Self.tokenScale {
            connections[s] = c
            abuse(s, .rateLimited, "more than \(limits.messagesPerSecond) messages per second", into: &actions)
            return false
        }
        c.tokens -= Self.tokenScale
        connections[s] = c
        return true
    }

    /// Refuses `s` for abuse: an error, then close; a registered socket goes offline at once.
    private mutating func abuse(_ s: SocketID, _ code: WireErrorCode, _ detail: String,
                                into actions: inout [ServerAction]) {
        guard let c = connections[s] else { return }
        connections[s]?.state = .closing
        actions.append(.send(s, .error(code: code, detail: detail, peer: nil)))
        actions.append(.close(s))
        if case .registered(let uid) = c.state {
            unregister(uid)
            broadcast(.offline(uid: uid), into: &actions)
        }
    }

    private mutating func handle(_ m: WireMessage, from s: SocketID, into actions: inout [ServerAction]) {
        guard let connection = connections[s] else { return }
        if case .registered(let uid) = connection.state, !proven.contains(uid) {
            proven.insert(uid)
        }
        switch m {
        case .hello(let uid, let secret, let instance):
            hello(uid, secret: secret, instance: instance, from: s, state: connection.state, into: &actions)
        case .signal(_, let to, let payload, _, let toInstance):
            signal(to: to, payload: payload, toInstance: toInstance, from: s, state: connection.state, into: &actions)
        case .initial, .online, .offline, .error:
            actions.append(.send(s, .error(code: .malformed,
                                           detail: "a page may send only hello and signal, not \(m.typeName)",
                                           peer: nil)))
        }
    }

    private mutating func hello(_ uid: String, secret: String?, instance: String?, from s: SocketID, state: State,
                                into actions: inout [ServerAction]) {
        if case .registered(let current) = state {
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
        let issued: String
        if let known = secrets[uid], !proven.contains(uid), socketByUID[uid] == nil,
           secret.map({ !Self.sameSecret($0, known) }) ?? true {
            // Offline, and its page may never have read its secret (it left before `init`
            // arrived, e.g. a reload during join): the uid is free again, with a new secret.
            issued = nextSecret()
            secrets[uid] = issued
        } else if let known = secrets[uid] {
            guard let secret, Self.sameSecret(secret, known) else {
                refusedClaims += 1
                connections[s]?.refusedClaims += 1
                actions.append(.send(s, .error(code: .uidTaken,
                                               detail: "uid '\(uid)' belongs to another page; reclaiming it needs its secret",
                                               peer: uid)))
                if let n = connections[s]?.refusedClaims, n >= limits.maxRefusedClaims {
                    connections[s]?.state = .closing
                    actions.append(.close(s))
                }
                return
            }
            issued = known
            proven.insert(uid)
        } else {
            issued = nextSecret()
            secrets[uid] = issued
        }
        if let old = socketByUID[uid] {
            // Newest wins (see the type's documentation): no offline for the old socket.
            connections[old]?.state = .closing
            unregister(uid, remember: false)
            actions.append(.send(old, .error(code: .uidReplaced,
                                             detail: "another connection registered uid '\(uid)'",
                                             peer: uid)))
            actions.append(.close(old))
        } else if offlineGeneration.removeValue(forKey: uid) != nil {
            rememberedOffline -= 1  // remembered offline until now; its queue entry is stale
        }
        // Instance ids (protocol version 2) only when some page sent one, so that pages that
        // send none get exactly the version 1 messages.
        let instances: [String?]? = instanceByUID.isEmpty ? nil : registrationOrder.map { instanceByUID[$0] }
        actions.append(.send(s, .initial(you: uid, online: registrationOrder, secret: issued, instances: instances)))
        broadcast(.online(uid: uid, instance: instance), into: &actions)
        connections[s]?.state = .registered(uid)
        socketByUID[uid] = s
        instanceByUID[uid] = instance
        registrationOrder.append(uid)
    }

    private mutating func signal(to: String, payload: SignalPayload, toInstance: String?, from s: SocketID, state: State,
                                 into actions: inout [ServerAction]) {
        guard case .registered(let sender) = state else {
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
        actions.append(.send(target, .signal(from: sender, to: to, payload: payload,
                                             fromInstance: instanceByUID[sender], toInstance: toInstance)))
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

    /// Forgets `uid`'s registration (O(online) for the order array, as the broadcast that
    /// follows). `remember`: the uid goes offline, so its secret joins the remembered offline
    /// uids, the oldest of which are forgotten beyond `limits.rememberedUIDs`.
    private mutating func unregister(_ uid: String, remember: Bool = true) {
        socketByUID[uid] = nil
        instanceByUID[uid] = nil
        if let index = registrationOrder.firstIndex(of: uid) {
            registrationOrder.remove(at: index)
        }
        guard remember else { return }
        offlineCounter += 1
        offlineGeneration[uid] = offlineCounter
        offlineQueue.append((uid, offlineCounter))
        rememberedOffline += 1
        while rememberedOffline > max(limits.rememberedUIDs, 0), offlineHead < offlineQueue.count {
            let (old, g) = offlineQueue[offlineHead]
            offlineHead += 1
            // Entries of a uid that came back online (or went offline again since) are stale.
            if offlineGeneration[old] == g {
                secrets[old] = nil
                proven.remove(old)
                offlineGeneration[old] = nil
                rememberedOffline -= 1
            }
        }
        if offlineHead > 1024, offlineHead * 2 > offlineQueue.count {
            offlineQueue.removeFirst(offlineHead)
            offlineHead = 0
        }
    }

    /// 128 bits from splitmix64, as 32 hexadecimal digits.
    private mutating func nextSecret() -> String {
        func next() -> UInt64 {
            secretState &+= 0x9E37_79B9_7F4A_7C15
            var z = secretState
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        func hex(_ v: UInt64) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }
        return hex(next()) + hex(next())
    }

    /// Compares without stopping at the first difference (no timing hint for a guesser).
    private static func sameSecret(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in x.indices { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    /// Non-empty and at most `maxUIDLength` characters (the UTF-8 length bounds the character
    /// count, so the common short uid is checked in O(1)).
    static func isValidUID(_ uid: String) -> Bool {
        if uid.isEmpty { return false }
        if uid.utf8.count <= maxUIDLength { return true }
        return uid.count <= maxUIDLength
    }
}
