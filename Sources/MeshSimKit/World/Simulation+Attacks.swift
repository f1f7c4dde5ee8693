import SignalProtocol

/// One attack an attacking peer tried, and what the server did about it.
struct AttackRecord {
    let kind: AttackKind
    /// The attacker's peer name and the socket it used (one socket per attack).
    let attacker: String
    let socket: SocketID
    /// The uid the attack aimed at (the hijacked uid, the spoofed `from`), if any.
    var target: String?
    /// Frames sent that the server must refuse one by one (garbage).
    var framesSent = 0
    /// Error codes the server answered on this socket, in order.
    var errors: [WireErrorCode] = []
    /// Signals the server relayed from this socket: the `from` it stamped.
    var relayedFrom: [String] = []
    /// The server registered the socket under the attacked uid (a hijack that worked).
    var gotTargetUID = false
    var closedByServer = false

    /// Whether the server refused what the attack wanted (docs/contract.md extension, report `attacks`).
    var blocked: Bool {
        switch kind {
        case .hijackUid:
            return !gotTargetUID && errors.contains(.uidTaken)
        case .spoofFrom:
            return !relayedFrom.contains { $0 == target }
        case .flood:
            return errors.contains(.rateLimited) && closedByServer
        case .oversize:
            return errors.contains(.messageTooLarge) && closedByServer
        case .garbage:
            let refused = errors.filter { $0 == .malformed || $0 == .unsupportedVersion }.count
            return relayedFrom.isEmpty && refused == framesSent
        case .signalStrangers:
            return relayedFrom.isEmpty && errors.contains(.notRegistered) && errors.contains(.unknownPeer)
        }
    }
}

/// Attacking peers (peer field `behaviour`): each attack runs on its own WebSocket opened when
/// the attacker's page loads; the page runs no mesh manager, is left out of the full-mesh
/// oracle, and only records what the server answers.
extension Simulation {
    /// How far apart an attacker's attacks start (long enough for the `init` of one attack's
    /// hello, and with it the attacker's own reclaim secret, to arrive before the next).
    static let attackSpacing: Int64 = 1 * nsPerSecond
    /// Signals a flooding attacker sends at once (above the server's default `maxBurst`).
    static let floodMessages = 25_000

    func isAttacker(slot: PeerID) -> Bool {
        peers[slot].isAttacker
    }

    /// Whether `uid` is an attacker's (attackers keep their peer id as uid).
    func isAttackerUID(_ uid: String) -> Bool {
        guard let slot = slotIndex[uid] else { return false }
        return isAttacker(slot: slot) && peers[slot].uid == uid
    }

    /// The attacker's page loaded: schedule one attack per behaviour, after the WebSocket handshake.
    func startAttacks(page: Int32) {
        let p = Int(page)
        let handshake = 4 * network.serverDelay(host: pages[p].host)
        for (i, _) in peers[pages[p].slot].behaviour.enumerated() {
            defer_(.attack(page: page, index: Int32(i)), at: now + handshake + Int64(i) * Self.attackSpacing)
        }
    }

    /// What an attacker who knows the uids aims at: the first honest peer (in peer-name order)
    /// other than `excluding` whose uid the server holds now (even on a half-open socket of a
    /// crashed page). None: the attack is not tried (docs/scenario-format.md).
    private func honestTarget(excluding: String? = nil) -> String? {
        for slot in peers.ids where !isAttacker(slot: slot) {
            let uid = peers[slot].uid
            guard uid != excluding else { continue }
            if signaling.server.socket(of: uid) != nil { return uid }
        }
        return nil
    }

    func runAttack(page: Int32, index: Int32) {
        let p = Int(page)
        guard pages[p].alive, signaling.up, network.isReachable(pages[p].host) else { return }
        let kind = peers[pages[p].slot].behaviour[Int(index)]
        guard let victim = honestTarget() else {
            emit(.attack, peer: pages[p].name, value: kind.rawValue, detail: "no honest peer to attack", page: Int32(p))
            return
        }
        let socket = webSockets.open(page: page, at: now)
        var record = AttackRecord(kind: kind, attacker: pages[p].name, socket: socket)
        callServer(origin: page) { s, out in s.socketOpened(socket, at: now, into: &out) }
        ensureServerPing()
        let me = pages[p].uid
        // The attacker's own uid, with its own secret once it has one (its other sockets hold it).
        let stored = peers[pages[p].slot].sessionSecret
        let myHello = WireMessage.hello(uid: me, secret: stored?.uid == me ? stored?.secret : nil)
        func send(_ m: WireMessage) { pushAttackFrame(socket, .message(m), page: page) }
        func raw(_ bytes: [UInt8]) {
            record.framesSent += 1
            pushAttackFrame(socket, .raw(bytes), page: page)
        }
        let endOfCandidates = SignalPayload.endOfCandidates(ufrag: "attack")
        switch kind {
        case .hijackUid:
            record.target = victim
            send(.hello(uid: victim, secret: String(repeating: "0", count: 32)))
        case .spoofFrom:
            let other = honestTarget(excluding: victim) ?? victim
            record.target = victim
            send(myHello)
            send(.signal(from: victim, to: other, payload: endOfCandidates))
        case .flood:
            send(myHello)
            for _ in 0..<Self.floodMessages {
                send(.signal(from: nil, to: victim, payload: endOfCandidates))
            }
        case .oversize:
            var big = Array(#"{"v":1,"type":"hello","uid":""#.utf8)
            big.append(contentsOf: repeatElement(UInt8(ascii: "x"), count: signaling.server.limits.maxMessageBytes))
            big.append(contentsOf: Array(#""}"#.utf8))
            pushAttackFrame(socket, .raw(big), page: page)
        case .garbage:
            raw([0xFF, 0xFE, 0x00, 0x7B])
            raw(Array(#"{"v":1,"type":"signal","to":5}"#.utf8))
            raw(Array(#"{"v":3,"type":"hello","uid":"x"}"#.utf8))  // a version no side speaks
            raw(Array(String(repeating: "[", count: 10_000).utf8))
        case .signalStrangers:
            record.target = victim
            send(.signal(from: nil, to: victim, payload: endOfCandidates))
            send(myHello)
            send(.signal(from: nil, to: "\(me).stranger", payload: endOfCandidates))
        }
        attackSockets[socket.raw] = attacks.count
        attacks.append(record)
        emit(.attack, peer: pages[p].name, remote: record.target, value: kind.rawValue, page: Int32(p))
    }

    private func pushAttackFrame(_ socket: SocketID, _ content: WebSocketContent, page: Int32) {
        pushFrameToServer(socket: socket, content, origin: page)
    }

    /// What the server did with a frame from an attack socket.
    func observeAttack(socket: SocketID, actions: [ServerAction]) {
        guard let i = attackSockets[socket.raw] else { return }
        for a in actions {
            switch a {
            case .send(let s, .error(let code, _, _)) where s == socket:
                attacks[i].errors.append(code)
            case .send(let s, .initial(let you, _, _, _)) where s == socket:
                if you == attacks[i].target { attacks[i].gotTargetUID = true }
                if !isAttackerUID(you) {
                    invariants.record(now, "uidHijacked", peers: [attacks[i].attacker],
                                      "the server gave honest uid \(you) to \(attacks[i].attacker)'s socket")
                }
            case .send(let s, .signal(let from, _, _, _, _)) where s != socket:
                attacks[i].relayedFrom.append(from ?? "")
            case .send(let s, .error(.uidReplaced, _, let uid)) where s != socket
                    && !isAttacker(slot: pages[Int(webSockets[s].page)].slot):
                let victim = webSockets[s].page
                invariants.record(now, "uidHijacked", peers: [attacks[i].attacker, pages[Int(victim)].name],
                                  "the server gave uid \(uid ?? "?") to \(attacks[i].attacker)'s socket and dropped \(pages[Int(victim)].name)'s")
            case .close(let s) where s == socket:
                attacks[i].closedByServer = true
            default:
                break
            }
        }
    }

    /// Attacks tried and blocked, by kind in declaration order (kinds not tried are left out).
    var attackSummary: [(kind: AttackKind, tried: Int, blocked: Int)] {
        AttackKind.allCases.compactMap { kind in
            let mine = attacks.filter { $0.kind == kind }
            return mine.isEmpty ? nil : (kind, mine.count, mine.filter(\.blocked).count)
        }
    }

    /// The attacks the scenario's attackers were meant to try: each attacker and kind once (a
    /// reloaded attacker tries its list again on every load).
    var attacksScheduled: [(attacker: String, kind: AttackKind)] {
        var list: [(attacker: String, kind: AttackKind)] = []
        for p in scenario.peers { for k in p.behaviour { list.append((p.id, k)) } }
        for e in scenario.events {
            guard case .join(let p) = e.action else { continue }
            for k in p.behaviour where !list.contains(where: { $0.attacker == p.id && $0.kind == k }) { list.append((p.id, k)) }
        }
        return list
    }
}
