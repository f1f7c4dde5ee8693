// libFuzzer target: the signaling server fed arbitrary sequences of socket events and messages
// (scripts/fuzz.sh server).
//
// The input is a program of operations, one per leading byte:
//   op % 8 == 0   open socket b (next byte % 16)
//   op % 8 == 1   close socket b
//   op % 8 == 2   hello on socket b with uid u (next byte % 8), with the secret the server issued
//                 to u if the op's bit 3 is set, a wrong one if bit 4 is set, none otherwise
//   op % 8 == 3   signal from socket b to uid u, `from` set to uid (next byte % 8)
//   op % 8 == 4   raw frame on socket b: the next byte n, then n bytes of text
//   op % 8 == 5   advance the clock by (next byte) × 10 ms
//   op % 8 == 6   a server-to-page message sent by a page on socket b
//   op % 8 == 7   a burst of (next byte) signals from socket b to uid u
// After every operation the server's own accounts are checked against a shadow model: which
// socket holds which uid, who heard what, that every relayed signal carries the sender's uid,
// that a uid only changes hands to a socket that presented its secret, and that every close the
// server asks for is for a socket it knows.
import SignalProtocol

private let uids = ["a", "b", "c", "d", "e", "ff", "", String(repeating: "x", count: 65)]

private struct Shadow {
    var open: Set<UInt32> = []
    /// Sockets the server told to close (they must stay silent until closed).
    var closing: Set<UInt32> = []
    var holder: [String: UInt32] = [:]
    var secrets: [String: String] = [:]
    /// uids whose page provably read its secret: it reclaimed with it, or its socket had a
    /// message handled after its hello.
    var proven: Set<String> = []
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSignalingServer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    var limits = ServerLimits()
    limits.burst = 8
    limits.burstPerPeer = 2
    limits.maxBurst = 40
    limits.messagesPerSecond = 50
    limits.maxMessageBytes = 200
    limits.rememberedUIDs = 3
    var server = SignalingServer(limits: limits, secretSeed: 7)
    var shadow = Shadow()
    var now: Int64 = 0
    var i = 0
    func next() -> UInt8 {
        guard i < bytes.count else { return 0 }
        defer { i += 1 }
        return bytes[i]
    }
    let payload = SignalPayload.endOfCandidates(ufrag: "u")
    while i < bytes.count {
        let op = next()
        let socket = UInt32(next() % 16)
        let s = SocketID(socket)
        var actions: [ServerAction] = []
        var sender: String? = server.uid(of: s)
        var claimed: (uid: String, secret: String?)?
        let heldBefore = shadow.holder
        let usable = shadow.open.contains(socket) && !shadow.closing.contains(socket)
        /// Messages this op hands the server on `s` (frames: whether the frame would decode).
        var messages = 0
        switch op % 8 {
        case 0:
            server.socketOpened(s, at: now, into: &actions)
            shadow.open.insert(socket)
        case 1:
            server.socketClosed(s, into: &actions)
            shadow.open.remove(socket)
            shadow.closing.remove(socket)
            for (uid, h) in shadow.holder where h == socket { shadow.holder[uid] = nil }
        case 2:
            let uid = uids[Int(next() % 8)]
            let secret: String? = op & 8 != 0 ? server.secret(of: uid) : (op & 16 != 0 ? "0123456789abcdef0123456789abcdef" : nil)
            claimed = (uid, secret)
            messages = 1
            server.receive(.hello(uid: uid, secret: secret), from: s, at: now, into: &actions)
        case 3:
            let to = uids[Int(next() % 8)]
            let from = uids[Int(next() % 8)]
            messages = 1
            server.receive(.signal(from: from, to: to, payload: payload), from: s, at: now, into: &actions)
        case 4:
            let n = Int(next())
            var frame: [UInt8] = []
            for _ in 0..<n where i < bytes.count { frame.append(next()) }
            if op & 8 != 0 { frame += [UInt8](repeating: 0x20, count: 300) }  // beyond the cap
            server.receive(frame: frame, from: s, at: now, into: &actions)
            if frame.count <= limits.maxMessageBytes, case .success(let m) = WireCodec.decode(frame) {
                messages = 1
                if case .hello(let uid, let secret) = m { claimed = (uid, secret) }
            }
        case 5:
            now &+= Int64(next()) * 10_000_000
        case 6:
            let m: WireMessage = [.online(uid: "a"), .offline(uid: "b"), .initial(you: "c", online: []),
                                  .error(code: .rateLimited, detail: "", peer: nil)][Int(next() % 4)]
            messages = 1
            server.receive(m, from: s, at: now, into: &actions)
        default:
            let n = Int(next())
            let to = uids[Int(next() % 8)]
            messages = n
            for _ in 0..<n {
                server.receive(.signal(from: nil, to: to, payload: payload), from: s, at: now, into: &actions)
            }
        }
        // A message handled on a registered socket proves its uid's secret reached the page.
        var firstRateLimited = false
        if case .send(let t, .error(.rateLimited, _, _))? = actions.first, t == s { firstRateLimited = true }
        if usable, messages > 0, !firstRateLimited, let (uid, _) = heldBefore.first(where: { $0.value == socket }) {
            shadow.proven.insert(uid)
        }
        // Check the actions.
        let wasClosing = shadow.closing.contains(socket)
        if wasClosing || !shadow.open.contains(socket), op % 8 != 0, op % 8 != 1, op % 8 != 5 {
            precondition(actions.isEmpty, "a closing or unknown socket got answers: \(actions)")
        }
        for a in actions {
            switch a {
            case .send(let target, let m):
                precondition(shadow.open.contains(target.raw), "sent to a socket that is not open: \(target) \(m)")
                precondition(!shadow.closing.contains(target.raw), "sent to a closing socket: \(target) \(m)")
                if case .signal(let from, _, _) = m {
                    precondition(from != nil && from == sender, "relayed a signal with from=\(from ?? "nil") for sender \(sender ?? "nil")")
                }
                if case .initial(let you, _, let secret) = m {
                    precondition(target == s, "init to another socket")
                    precondition(secret != nil, "init without a secret")
                    if let known = shadow.secrets[you] {
                        // An online uid changes hands only with its secret; an offline one
                        // without it only if its secret was never proven, and then with a new one.
                        if claimed?.secret != known {
                            precondition(heldBefore[you] == nil, "online uid \(you) changed hands without its secret")
                            precondition(!shadow.proven.contains(you), "offline uid \(you) with a proven secret changed hands without it")
                            precondition(secret != known, "uid \(you) re-registered without its secret kept the secret")
                        } else {
                            precondition(secret == known, "a reclaim with the secret changed the secret")
                            shadow.proven.insert(you)
                        }
                    }
                    shadow.secrets[you] = secret
                    shadow.holder[you] = target.raw
                    sender = you
                }
            case .close(let target):
                precondition(shadow.open.contains(target.raw), "close of a socket that is not open: \(target)")
                shadow.closing.insert(target.raw)
                for (uid, h) in shadow.holder where h == target.raw { shadow.holder[uid] = nil }
            }
        }
        // The server's accounts agree with the shadow.
        for (uid, h) in shadow.holder {
            precondition(server.socket(of: uid) == SocketID(h), "\(uid) should be on socket \(h)")
            precondition(server.uid(of: SocketID(h)) == uid, "socket \(h) should hold \(uid)")
        }
        precondition(server.onlineUIDs.count == shadow.holder.count, "online \(server.onlineUIDs) vs \(shadow.holder)")
        precondition(Set(server.onlineUIDs).count == server.onlineUIDs.count, "a uid online twice")
        // Forgotten secrets stay forgotten in the shadow too (the uid is up for grabs again).
        for uid in uids where server.secret(of: uid) == nil {
            shadow.secrets[uid] = nil
            shadow.proven.remove(uid)
        }
    }
    return 0
}
