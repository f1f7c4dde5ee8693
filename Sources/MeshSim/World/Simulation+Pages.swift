import SignalProtocol

/// Pages, WebSockets and the signaling server.
extension Simulation {
    /// A page loads with `uid` for the peer name `slot` and opens its WebSocket.
    func loadPage(slot: Int32, uid: String) {
        let host = ensureHost(slot: slot, latency: nil)
        let index = Int32(pages.count)
        pages.append(Page(uid: uid, name: slotNames[Int(slot)], slot: slot, host: host, loadedAt: now,
                          manager: MeshManager(policy: options.policy)))
        currentPage[Int(slot)] = index
        trace.line(now, "page", peer: slotNames[Int(slot)], value: "load")
        pageLiveChanged(slot: slot)
        openWebSocket(page: index)
    }

    /// TCP and WebSocket handshakes: the socket is open two round trips after the attempt.
    func openWebSocket(page: Int32) {
        let p = Int(page)
        guard pages[p].alive else { return }
        pages[p].wsEpoch &+= 1
        let rtt = 2 * network.serverDelay(host: pages[p].host)
        queue.push(.wsOpened(page: page, epoch: pages[p].wsEpoch), at: now + 2 * rtt)
    }

    func webSocketOpened(page: Int32, epoch: UInt32) {
        let p = Int(page)
        guard pages[p].alive, pages[p].wsEpoch == epoch, network.isReachable(pages[p].host) else { return }
        let socket = SocketID(UInt32(sockets.count))
        sockets.append(WebSocketLink(page: page, lastToServer: now, lastToPage: now))
        pages[p].socket = socket
        pages[p].wsOpen = true
        trace.line(now, "ws", peer: pages[p].name, value: "open")
        var actions = serverActions
        serverActions = []
        actions.removeAll(keepingCapacity: true)
        server.socketOpened(socket, into: &actions)
        carryOut(actions, origin: page)
        serverActions = actions
        sendToServer(page: page, .hello(uid: pages[p].uid))
    }

    func reconnectWebSocket(page: Int32, epoch: UInt32) {
        guard pages[Int(page)].wsEpoch == epoch, !pages[Int(page)].wsOpen else { return }
        openWebSocket(page: page)
    }

    // MARK: - Frames

    func sendToServer(page: Int32, _ message: WireMessage) {
        let p = Int(page)
        guard pages[p].wsOpen, let socket = pages[p].socket else {
            if case .signal = message { stats.signalsDropped += 1 }
            return
        }
        let delay = network.serverDelay(host: pages[p].host) + network.jitter(&rng)
        var at = now + delay
        at = max(at, sockets[Int(socket.raw)].lastToServer)
        sockets[Int(socket.raw)].lastToServer = at
        pushFrame(WebSocketFrame(socket: socket, toServer: true, message: message, origin: page), at: at)
    }

    func sendToPage(socket: SocketID, _ message: WireMessage, origin: Int32) {
        let link = sockets[Int(socket.raw)]
        guard link.open else { return }
        let delay = network.serverDelay(host: pages[Int(link.page)].host) + network.jitter(&rng)
        var at = now + delay
        at = max(at, link.lastToPage)
        sockets[Int(socket.raw)].lastToPage = at
        pushFrame(WebSocketFrame(socket: socket, toServer: false, message: message, origin: origin), at: at)
    }

    private func pushFrame(_ frame: WebSocketFrame, at: Int64) {
        let slot: Int32
        if let s = freeFrames.popLast() {
            slot = s
            frames[Int(s)] = frame
        } else {
            slot = Int32(frames.count)
            frames.append(frame)
        }
        queue.push(.wsArrive(slot), at: at)
    }

    func frameArrived(_ slot: Int32) {
        let frame = frames[Int(slot)]!
        frames[Int(slot)] = nil
        freeFrames.append(slot)
        let link = sockets[Int(frame.socket.raw)]
        guard link.open else { return }
        if frame.toServer {
            var actions = serverActions
            serverActions = []
            actions.removeAll(keepingCapacity: true)
            server.receive(frame.message, from: frame.socket, into: &actions)
            checkRelays(actions, from: frame.socket, message: frame.message)
            carryOut(actions, origin: link.page)
            serverActions = actions
        } else {
            deliverToPage(link.page, frame.message, origin: frame.origin)
        }
    }

    /// Carry out the server's actions.
    func carryOut(_ actions: [ServerAction], origin: Int32) {
        for a in actions {
            switch a {
            case .send(let socket, let message):
                switch message {
                case .signal: break
                default: stats.controlMessages += 1
                }
                sendToPage(socket: socket, message, origin: origin)
            case .close(let socket):
                closeSocket(socket)
            }
        }
    }

    func closeSocket(_ socket: SocketID) {
        let i = Int(socket.raw)
        guard sockets[i].open else { return }
        sockets[i].open = false
        let p = Int(sockets[i].page)
        if pages[p].socket == socket {
            pages[p].wsOpen = false
            pages[p].socket = nil
            if pages[p].alive { trace.line(now, "ws", peer: pages[p].name, value: "closed") }
        }
    }

    /// Invariant: the server stamps `from` with the uid of the page that sent the signal.
    private func checkRelays(_ actions: [ServerAction], from socket: SocketID, message: WireMessage) {
        let sender = pages[Int(sockets[Int(socket.raw)].page)]
        for a in actions {
            if case .send(_, .signal(let from, let to, _)) = a {
                if from != sender.uid {
                    invariants.record(now, "server relayed a signal to \(to) with from=\(from ?? "nil") although \(sender.name) (uid \(sender.uid)) sent it")
                }
            }
        }
    }

    private func deliverToPage(_ page: Int32, _ message: WireMessage, origin: Int32) {
        let p = Int(page)
        guard pages[p].alive else { return }
        let name = pages[p].name
        switch message {
        case .initial(_, let online):
            trace.line(now, "init", peer: name, value: "\(online.count) online")
        case .online(let uid):
            trace.line(now, "online", peer: name, remote: uid, value: "online")
        case .offline(let uid):
            trace.line(now, "offline", peer: name, remote: uid, value: "offline")
        case .signal(let from, let to, _):
            if to != pages[p].uid {
                invariants.record(now, "signal for \(to) delivered to \(name) (uid \(pages[p].uid))")
            }
            if let from, origin >= 0, pages[Int(origin)].uid != from {
                invariants.record(now, "\(name) received a signal claiming from=\(from) that \(pages[Int(origin)].name) sent")
            }
        case .error(let code, let detail, let peer):
            trace.line(now, "serverError", peer: name, remote: peer, value: code.rawValue, detail: detail)
        case .hello:
            break
        }
        var out = takeMeshBuffer()
        pages[p].manager.receive(message, into: &out)
        execute(out, page: page)
        returnMeshBuffer(out)
    }
}
