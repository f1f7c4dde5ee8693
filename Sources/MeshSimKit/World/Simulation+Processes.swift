import SignalProtocol

/// The processes between the pages: the browser process that carries each page's WebSocket
/// frames, and the signaling server's process. Each is one thread on a machine, charged per
/// frame (`ProcessWork`), so a storm's messages queue in them as they did in the Chromium
/// recordings (docs/model.md, "CPU").
extension Simulation {
    /// The signaling server's machine: `network.server.machine`. Without one its work is not
    /// charged: the costs are those of the crosscheck's Python server, and a production server
    /// (Node's `ws`) does the same in far less, unmeasured here (docs/model.md, "CPU").
    func placeServer() {
        signaling.machine = scenario.network.serverMachine.flatMap { machineByName[$0] }
        signaling.thread = signaling.machine.map { machines.addThread(on: $0) }
    }

    /// When a frame the page's script sends at `cursor` leaves: once its browser process has
    /// carried it to the socket. Attackers' sockets are not browsers: theirs leave at `cursor`.
    ///
    /// The work is given to the browser's thread now, when the handler that sends it runs, not
    /// at `cursor`: the thread serves every page of the machine in the order their work comes,
    /// and a reservation at a busy script's later `cursor` would hold up frames that reach the
    /// thread before it (an answer waited 5 ms behind the other tab's candidate that way).
    func browserSends(page: Int32) -> Int64 {
        let p = Int(page)
        guard !isAttacker(slot: pages[p].slot) else { return cursor }
        return max(cursor, browserCarries(on: pages[p].machine))
    }

    /// When a frame that reached `page`'s machine now is handed to its renderer.
    func browserReceives(page: Int32) -> Int64 {
        browserCarries(on: pages[Int(page)].machine)
    }

    /// `machine`'s browser process carries a frame from now on: when it is done.
    private func browserCarries(on machine: MachineID) -> Int64 {
        let cost = ProcessWork.browserCarriesFrame.cost
        let end = machines.runBrowser(cost, on: machine, readyAt: now)
        if drawsCPU {
            observeCPU("browserCarriesFrame", thread: "browser", page: nil, machine: machine, cost: cost, end: end)
        }
        return end
    }

    /// The server's thread does `work` from now on: when it is done.
    private func serverRuns(_ work: ProcessWork, thread: CPUThreadID) -> Int64 {
        let end = machines.run(work.cost, thread: thread, readyAt: now)
        if drawsCPU {
            observeCPU(String(describing: work), thread: "server", page: nil, machine: signaling.machine, cost: work.cost, end: end)
        }
        return end
    }

    /// When a message the server sends at `cursor` leaves its process (given to its thread now,
    /// as in `browserSends`).
    func serverSends() -> Int64 {
        guard let thread = signaling.thread else { return cursor }
        return max(cursor, serverRuns(.serverSendsMessage, thread: thread))
    }

    /// When a WebSocket handshake whose upgrade request reaches the server at `at` is answered:
    /// the server's thread accepts it among the messages it is reading (the work is given to
    /// the thread now, as in `browserSends`).
    func serverAccepts(at: Int64) -> Int64 {
        guard let thread = signaling.thread else { return at }
        return max(at, serverRuns(.serverAcceptsSocket, thread: thread))
    }

    /// A frame reached the server's socket now: its process reads it when its thread gets to
    /// it, and only then does the server's state machine see it. Returns false when the
    /// server's work is not charged: the frame is handled now.
    func serverReads(_ frame: WebSocketFrame) -> Bool {
        guard let thread = signaling.thread else { return false }
        var read = frame
        read.serverRead = true
        let end = serverRuns(.serverReadsFrame, thread: thread)
        queue.push(.wsArrive(webSockets.hold(read)), at: end)
        return true
    }
}
