/// Work outside the pages that the model charges to a CPU: the signaling server's process and
/// the browser process that carries every WebSocket frame of the pages of its machine. Each is
/// one thread (a Node or Python server's event loop; the browser's network-service thread)
/// shared by everything passing through it, so under load its queue grows while each page's
/// own threads keep up (docs/model.md, "CPU", and docs/fidelity.md, "Where the time goes in a
/// storm").
///
/// Costs: nanoseconds of work at speed 1, from the crosscheck's 2-peer recordings, where
/// nothing competes (docs/fidelity/recordings/two-peers-500ms; docs/model.md, "Costs"); the
/// server's from the CPU its process used (docs/fidelity/recordings-threads, cpu-sample.json.gz:
/// the Python driver and server together 0.08–0.09 s of CPU over a 12-tab storm of about 330
/// frames read and 400 messages sent, where 0.6/0.15/1 ms charged 0.27 s).
enum ProcessWork {
    /// The server reads one frame from a page: the WebSocket frame decoded, the JSON parsed,
    /// the protocol's handler run, the line logged. Recorded: server receive → relay sent
    /// 0.2 ms (median, 12 signals), page sent → server received 1.2 ms, of which the page's
    /// `send` and the browser's relay are the rest.
    case serverReadsFrame
    /// The server sends one message: serialised, framed, written, logged.
    case serverSendsMessage
    /// The server accepts a WebSocket: the TCP accept, the HTTP upgrade parsed and answered,
    /// the connection's handler started. Recorded at light load: `new WebSocket` → `open`
    /// 4.4 ms on loopback, most of it the browser's; under a storm the hellos came 113 ms
    /// (12 tabs) and 324 ms (16 tabs) late (median), the server's loop being busy.
    case serverAcceptsSocket
    /// The browser process carries one WebSocket frame between a page's renderer and the
    /// socket, in either direction (an IPC hop and the network service's work). Recorded:
    /// relay sent by the server → the page's handler 0.9 ms (median), of which the page's own
    /// handling is `CPUWork.webSocketMessage`.
    case browserCarriesFrame

    var cost: Int64 {
        switch self {
        // A third of what the 2-peer log's times suggested: the CPU the process used.
        case .serverReadsFrame: return 200_000
        case .serverSendsMessage: return 50_000
        case .serverAcceptsSocket: return 330_000
        case .browserCarriesFrame: return 100_000
        }
    }
}
