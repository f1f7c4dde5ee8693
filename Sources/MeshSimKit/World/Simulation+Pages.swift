import SignalProtocol

/// Pages, their WebSockets and the signaling server.
extension Simulation {
    /// The server pings every socket this often and drops one whose previous ping went
    /// unanswered (the `ws` library's heartbeat pattern), so a vanished page is reported
    /// offline 10–20 s after it vanished.
    static let serverPingInterval: Int64 = 10 * nsPerSecond
    /// Reconnect backoff of the page's WebSocket client: 1 s, doubling, at most 16 s.
    static let reconnectBase: Int64 = 1 * nsPerSecond
    static let reconnectMax: Int64 = 16 * nsPerSecond

    /// The instance id of page load `page` (policies with instance ids): a browser would draw
    /// one at random (`crypto.randomUUID()`); page loads are numbered here, which is as unique
    /// and draws nothing from the run's generator.
    static func instanceID(page: Int32) -> String { "load-\(page + 1)" }

    /// A page loads with `uid` for the peer name `slot` on `host` and opens its WebSocket.
    /// `preloaded`: the document was loaded before (peer field `preloaded`): its load costs no CPU.
    func loadPage(slot: PeerID, uid: String, host: Int32, preloaded: Bool = false) {
        let index = Int32(pages.count)
        let machine = peers[slot].machine ?? machines.add(MachineSpec(name: nil))
        peers[slot].machine = machine
        pages.append(Page(uid: uid, name: peers[slot].name, slot: slot, host: host, machine: machine,
                          threads: peers[slot].threads, manager: MeshManager(policy: options.policy, instance: Self.instanceID(page: index))))
        pages[Int(index)].devtoolsLogging = peers[slot].devtoolsLogging
        peers[slot].currentPage = PageID(index)
        emit(.page, peer: peers[slot].name, value: "load", page: index, uid: uid)
        if !network.isReachable(host) {
            // Loaded while its host is offline (a reload during an outage): say so, so that an
            // observer of the stream knows the page is cut off.
            emit(.host, peer: peers[slot].name, value: "offline", page: index)
        }
        if isAttacker(slot: slot) {
            startAttacks(page: index)
        } else {
            // The document loads and its script runs before it opens the WebSocket.
            if !preloaded { cursor = charge(.pageLoad, page: index, readyAt: now) }
            pages[Int(index)].scriptRunsAt = cursor
            openWebSocket(page: index)
            if traffic != nil { startTraffic(page: index) }
        }
    }

    /// The page goes away. `clean`: what a reload or tab close does to connections that the
    /// browser tears down (pc.close(), an SCTP ABORT each); otherwise they vanish silently.
    /// `closeSocket`: the WebSocket is closed (the server learns); otherwise it is left half-open.
    func unloadPage(_ page: Int32, closeConnections clean: Bool, closeSocket: Bool, unload: CPUWork = .pageUnload) {
        let p = Int(page)
        guard pages[p].alive else { return }
        if clean || closeSocket {
            // A document going away runs its unload work first; then the browser closes its
            // WebSocket and its connections, one blocking `close()` after another, each
            // sending its SCTP ABORT when it is done (docs/model.md, "Teardown").
            cursor = charge(unload, page: page, readyAt: now)
        }
        if closeSocket { pageClosesWebSocket(page) }
        for c in pages[p].linkConnections where c >= 0 && !connections[Int(c)].closed {
            if clean {
                blockingCall(.closePeerConnection, page: page)
                closeConnection(c)
            } else {
                dropConnection(c)
            }
        }
        peers[pages[p].slot].threads = pages[p].threads
        pages[p].wsOpen = false
        pages[p].wsEpoch &+= 1
        pages[p].alive = false
        emit(.page, peer: pages[p].name, value: "unload", page: Int32(p))
    }

    /// A connection disappears with its page or host: no ABORT, no events, nothing more sent.
    func dropConnection(_ c: Int32) {
        let slot = connections[Int(c)]
        guard !slot.closed else { return }
        slot.closed = true
        pages[Int(slot.page)].openConnections -= 1
        hostSockets[Int(pages[Int(slot.page)].host)].release(slot.port)
    }

    // MARK: - Connecting

    /// A connection attempt: TCP and WebSocket handshakes take two round trips.
    func openWebSocket(page: Int32) {
        let p = Int(page)
        guard pages[p].alive, !pages[p].wsGaveUp else { return }
        pages[p].wsEpoch &+= 1
        let oneWay = network.serverDelay(host: pages[p].host)
        // The TCP handshake, then the upgrade request, which the server's thread answers when
        // it gets to it (`Simulation+Processes.swift`), then the answer's way back.
        let answered = signaling.up ? serverAccepts(at: cursor + 3 * oneWay) : cursor + 3 * oneWay
        queue.push(.wsOpened(page: page, epoch: pages[p].wsEpoch), at: answered + oneWay)
    }

    func webSocketOpened(page: Int32, epoch: UInt32) {
        let p = Int(page)
        guard pages[p].alive, pages[p].wsEpoch == epoch else { return }
        guard signaling.up, network.isReachable(pages[p].host) else {
            // Refused or timed out: try again after the backoff (1 s after a page's first
            // attempt, then doubling with each failed reconnect).
            if pages[p].wsRetrying { pages[p].wsFailures += 1 }
            scheduleReconnect(page: page)
            return
        }
        let socket = webSockets.open(page: page, at: now)
        pages[p].socket = socket
        pages[p].wsOpen = true
        pages[p].wsOpenedOnce = true
        pages[p].wsFailures = 0
        pages[p].wsRetrying = false
        emit(.ws, peer: pages[p].name, value: "open", page: Int32(p))
        callServer(origin: page) { s, out in s.socketOpened(socket, at: now, into: &out) }
        // The page says who it is, with the reclaim secret sessionStorage keeps beside the uid.
        let uid = pages[p].uid
        let stored = peers[pages[p].slot].sessionSecret
        sendToServer(page: page, .hello(uid: uid, secret: stored?.uid == uid ? stored?.secret : nil,
                                        instance: pages[p].manager.instance))
        ensureServerPing()
    }

    func scheduleReconnect(page: Int32) {
        let p = Int(page)
        guard pages[p].alive, !pages[p].wsGaveUp else { return }
        let delay: Int64
        if let fixed = pages[p].wsNextDelay {
            delay = fixed
            pages[p].wsNextDelay = nil
        } else {
            let shift = min(pages[p].wsFailures, 4)
            delay = min(Self.reconnectBase << Int64(shift), Self.reconnectMax)
        }
        pages[p].wsEpoch &+= 1
        pages[p].wsNextAttemptAt = now + delay
        queue.push(.wsReconnect(page: page, epoch: pages[p].wsEpoch), at: now + delay)
    }

    func reconnectWebSocket(page: Int32, epoch: UInt32) {
        guard pages[Int(page)].wsEpoch == epoch, !pages[Int(page)].wsOpen else { return }
        pages[Int(page)].wsRetrying = true
        openWebSocket(page: page)
    }

    // MARK: - Closing

    /// The page closes its socket: a close frame goes to the server.
    func pageClosesWebSocket(_ page: Int32) {
        let p = Int(page)
        guard let socket = pages[p].socket, webSockets[socket].pageOpen else { return }
        pushFrame(socket: socket, toServer: true, .close, origin: page)
        webSockets[socket].pageOpen = false
        pages[p].wsOpen = false
        pages[p].socket = nil
        if pages[p].alive { emit(.ws, peer: pages[p].name, value: "closed", page: Int32(p)) }
    }

    /// The server side closes a socket (replaced, ping timeout, restart): the server state
    /// machine forgets it and a close frame goes to the page.
    /// `answer`: a Close frame goes to the page (not when the page's own Close was answered
    /// already and the connection has now closed).
    func serverClosesWebSocket(_ socket: SocketID, notifyServer: Bool = true, answer: Bool = true) {
        guard webSockets[socket].serverOpen else { return }
        webSockets[socket].serverOpen = false
        if notifyServer {
            callServer(origin: -1) { s, out in s.socketClosed(socket, into: &out) }
        }
        if answer { pushFrame(socket: socket, toServer: false, .close, origin: -1) }
    }

    // MARK: - The server's heartbeat and restarts

    func ensureServerPing() {
        guard !signaling.pingScheduled, signaling.up else { return }
        signaling.pingScheduled = true
        queue.push(.serverPing, at: now + Self.serverPingInterval)
    }

    func serverPing() {
        signaling.pingScheduled = false
        guard signaling.up else { return }
        let open = webSockets.openAtServer
        // Closing one socket can close another (the server forgets a uid): skip those.
        for socket in open where webSockets[socket].serverOpen {
            let page = webSockets[socket].page
            if webSockets[socket].awaitingPong {
                emit(.serverTimeout, peer: pages[Int(page)].name, value: "no pong", page: page)
                serverClosesWebSocket(socket)
            } else {
                webSockets[socket].awaitingPong = true
                pushFrame(socket: socket, toServer: false, .ping, origin: -1)
            }
        }
        if !open.isEmpty { ensureServerPing() }
    }

    func serverGoesDown(for downtime: Int64) {
        guard signaling.up else { return }
        emit(.server, peer: nil, value: "down")
        for socket in webSockets.openAtServer {
            serverClosesWebSocket(socket, notifyServer: false)
        }
        signaling.goDown(nextSecretSeed: Self.serverSecretSeed(options.seed) &+ UInt64(truncatingIfNeeded: now),
                         at: now, until: now + downtime)
        // What the old process had queued dies with it.
        if let thread = signaling.thread { machines.forget(thread) }
        queue.push(.serverUp, at: now + downtime)
    }

    func serverComesUp() {
        signaling.comeUp()
        emit(.server, peer: nil, value: "up")
    }

    // MARK: - Frames

    /// `signal`: the serial of the signal `message` is (-1 for other messages).
    func sendToServer(page: Int32, _ message: WireMessage, signal: Int32 = -1) {
        let p = Int(page)
        guard pages[p].wsOpen, let socket = pages[p].socket else {
            if case .signal = message { stats.signalsDropped += 1 }
            return
        }
        pushFrame(socket: socket, toServer: true, .message(message), origin: page, signal: signal)
    }

    func sendToPage(socket: SocketID, _ message: WireMessage, origin: Int32, signal: Int32 = -1) {
        guard webSockets[socket].serverOpen else { return }
        pushFrame(socket: socket, toServer: false, .message(message), origin: origin, signal: signal)
    }

    /// A frame from the page end of `socket` to the server (attack sockets use it directly).
    func pushFrameToServer(socket: SocketID, _ content: WebSocketContent, origin: Int32) {
        pushFrame(socket: socket, toServer: true, content, origin: origin)
    }

    /// Queue a frame behind everything already in flight in its direction.
    private func pushFrame(socket: SocketID, toServer: Bool, _ content: WebSocketContent, origin: Int32,
                           signal: Int32 = -1) {
        let page = webSockets[socket].page
        let host = pages[Int(page)].host
        // It leaves once the process sending it has done its work (`Simulation+Processes.swift`).
        let departure = toServer ? browserSends(page: page) : serverSends()
        let delay = network.serverDelay(host: host) + network.jitter(&rng)
        var inOrder = true
        if toServer, case .pong = content {
            // The browser answers the server's ping at once. Frames the page's busy script will
            // send later are already queued here with their later departure times (`cursor`,
            // possibly seconds ahead); the pong leaves before them, as it does in a browser.
            inOrder = false
        }
        let frame = WebSocketFrame(socket: socket, toServer: toServer, content: content, origin: origin,
                                   signalSerial: signal)
        let (slot, at) = webSockets.send(frame, departure: departure, delay: delay, inOrder: inOrder)
        queue.push(.wsArrive(slot), at: at)
    }

    func frameArrived(_ slot: Int32) {
        let frame = webSockets.take(slot)
        let link = webSockets[frame.socket]
        let host = pages[Int(link.page)].host
        if network.hosts[Int(host)].vanished, !frame.serverRead { return }
        if !network.hosts[Int(host)].online, !frame.serverRead {
            // TCP keeps retransmitting while the host is cut off.
            let (retry, at) = webSockets.retransmit(frame, now: now)
            queue.push(.wsArrive(retry), at: at)
            return
        }
        if frame.toServer {
            guard link.serverOpen, signaling.up else { return }
            if !frame.serverRead, serverReads(frame) { return }
            switch frame.content {
            case .message(let message):
                callServer(origin: link.page, signal: frame.signalSerial, inspect: { inspectServer($0, from: frame.socket) }) { s, out in
                    s.receive(message, from: frame.socket, at: now, into: &out)
                }
            case .raw(let bytes):
                callServer(origin: link.page, inspect: { inspectServer($0, from: frame.socket) }) { s, out in
                    s.receive(frame: bytes, from: frame.socket, at: now, into: &out)
                }
            case .pong:
                webSockets[frame.socket].awaitingPong = false
            case .close:
                if webSockets[frame.socket].serverAnsweredClose || isAttacker(slot: pages[Int(link.page)].slot) {
                    // The TCP connection closed after the closing handshake: the handler ends.
                    serverClosesWebSocket(frame.socket, answer: false)
                } else {
                    // The page's Close frame: the server answers it (RFC 6455 section 5.5.1) and
                    // waits for the connection to close, which the page's browser does when the
                    // answer reaches it (docs/model.md section 3, "The WebSocket").
                    webSockets[frame.socket].serverAnsweredClose = true
                    pushFrame(socket: frame.socket, toServer: false, .close, origin: -1)
                }
            case .ping:
                break
            }
        } else {
            let page = link.page
            if case .close = frame.content, !link.pageOpen, link.serverAnsweredClose {
                // The server answered the page's Close: the browser closes the TCP connection.
                cursor = browserReceives(page: page)
                pushFrame(socket: frame.socket, toServer: true, .close, origin: page)
                return
            }
            guard link.pageOpen, pages[Int(page)].alive else { return }
            if isAttacker(slot: pages[Int(page)].slot) {
                // Attackers answer pings and keep their own secret; what the server told them is
                // in `attacks`.
                if case .ping = frame.content { pushFrame(socket: frame.socket, toServer: true, .pong, origin: page) }
                if case .message(.initial(let you, _, let secret?, _)) = frame.content {
                    peers[pages[Int(page)].slot].sessionSecret = (you, secret)
                }
                return
            }
            switch frame.content {
            case .message:
                // The browser process hands it to the renderer; then the script's turn to
                // handle it (docs/model.md, "CPU").
                pushPageTask(.frame(frame), at: charge(.webSocketMessage, page: page, readyAt: browserReceives(page: page)))
            case .close:
                pushPageTask(.frame(frame), at: charge(.webSocketClose, page: page, readyAt: browserReceives(page: page)))
            case .ping:
                // The browser answers pings itself, off the page's threads.
                cursor = browserReceives(page: page)
                pushFrame(socket: frame.socket, toServer: true, .pong, origin: page)
            case .pong, .raw:
                break
            }
        }
    }

    /// A message or close from the server reaches the script of the page it was sent to.
    func pageReceives(_ frame: WebSocketFrame) {
        let page = webSockets[frame.socket].page
        guard webSockets[frame.socket].pageOpen, pages[Int(page)].alive else { return }
        switch frame.content {
        case .message(let message):
            deliverToPage(page, message, origin: frame.origin, signal: frame.signalSerial)
        case .close:
            webSockets[frame.socket].pageOpen = false
            pages[Int(page)].wsOpen = false
            pages[Int(page)].socket = nil
            emit(.ws, peer: pages[Int(page)].name, value: "closed", page: page)
            scheduleReconnect(page: page)
        case .ping, .pong, .raw:
            break
        }
    }

    /// What the server does with a page's frame is checked before it is carried out.
    private func inspectServer(_ actions: [ServerAction], from socket: SocketID) {
        checkRelays(actions, from: socket)
        observeAttack(socket: socket, actions: actions)
    }

    /// Carry out the server's actions. `signal`: the serial of the signal they answer, if any
    /// (a relayed signal keeps it).
    func carryOut(_ actions: [ServerAction], origin: Int32, signal: Int32 = -1) {
        for a in actions {
            switch a {
            case .send(let socket, let message):
                switch message {
                case .signal: sendToPage(socket: socket, message, origin: origin, signal: signal)
                default:
                    stats.controlMessages += 1
                    sendToPage(socket: socket, message, origin: origin)
                }
            case .close(let socket):
                serverClosesWebSocket(socket)
            }
        }
    }

    /// Invariant: the server stamps `from` with the uid of the page that sent the signal.
    private func checkRelays(_ actions: [ServerAction], from socket: SocketID) {
        let sender = pages[Int(webSockets[socket].page)]
        for a in actions {
            if case .send(_, .signal(let from, let to, _, _, _)) = a, from != sender.uid {
                invariants.record(now, "serverStampsFrom", peers: [sender.name],
                                  "server relayed a signal to \(to) with from=\(from ?? "nil") although \(sender.name) (uid \(sender.uid)) sent it")
            }
        }
    }

    private func deliverToPage(_ page: Int32, _ message: WireMessage, origin: Int32, signal: Int32) {
        let p = Int(page)
        let name = pages[p].name
        switch message {
        case .initial(let you, let online, let secret, _):
            emit(.`init`, peer: name, value: "\(online.count) online", page: page)
            if let secret { peers[pages[p].slot].sessionSecret = (you, secret) }
            pages[p].uidRefused = false
        case .online(let uid, _):
            emit(.online, peer: name, remote: uid, value: "online", page: page)
        case .offline(let uid):
            emit(.offline, peer: name, remote: uid, value: "offline", page: page)
        case .signal(let from, let to, let payload, _, _):
            emit(.signalDelivered, peer: name, remote: from, value: payload.kindName, page: page,
                 signal: signal >= 0 ? signal : nil)
            if to != pages[p].uid {
                invariants.record(now, "signalReachesAddressee", peers: [name], "signal for \(to) delivered to \(name) (uid \(pages[p].uid))")
            }
            // The uid the sender held when the server stamped it: a page that has since
            // rejoined under a fresh uid sent it under its former one (found by `fuzz`).
            if let from, origin >= 0, pages[Int(origin)].uid != from, !pages[Int(origin)].formerUids.contains(from) {
                invariants.record(now, "signalFromIsSender", peers: [name, pages[Int(origin)].name],
                                  "\(name) received a signal claiming from=\(from) that \(pages[Int(origin)].name) sent")
            }
        case .error(let code, let detail, let peer):
            emit(.serverError, peer: name, remote: peer, value: code.rawValue, detail: detail, page: page)
            if code == .uidReplaced {
                // Another page now holds this uid; reconnecting would only take it back and
                // start a tug of war, so the page stays off signaling (PeerJS: "ID is taken").
                pages[p].wsGaveUp = true
            }
            if code == .uidTaken {
                // The server holds the uid for a page whose secret this one lacks (a restored
                // page whose first load never read init, while the old socket is half-open):
                // close and try again with the reconnect backoff ("ID is taken", then retry);
                // once the old socket is gone the uid is free for it.
                pages[p].wsFailures += 1
                pages[p].uidRefused = true
                pageClosesWebSocket(page)
                scheduleReconnect(page: page)
            }
        case .hello:
            break
        }
        callManager(page: page) { m, out in m.receive(message, into: &out) }
    }
}
