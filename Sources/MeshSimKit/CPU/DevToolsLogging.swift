/// Pages instrumented as browser test harnesses instrument them (peer field `devtoolsLogging`):
/// the script logs a record with `console.log` in every handler (each connection event and
/// settled operation, each signaling message received or sent, each connection created), and a
/// DevTools client attached to the browser (Playwright, Puppeteer) receives every record.
///
/// With a client attached, `console.log` is no longer cheap: the renderer serialises each
/// record for the DevTools protocol on the main thread, the browser process forwards it, and
/// the client's processes read it, all on the same cores as the pages' WebRTC work. The costs
/// were measured on the calibration machine (2 cores, idle) with Chromium 156 and Playwright 1.65
/// (`scripts/chromium/console_cost.py`, medians of 3 runs of 4,000 records of about 300 bytes;
/// docs/model.md, "Instrumented pages"; the measurements in docs/fidelity/devtools-logging/).
enum DevToolsLogging {
    /// The page's main thread, inside the handler: `JSON.stringify` and `console.log`.
    static let pageCost: Int64 = 60_600
    /// The browser process forwarding the record to the client's pipe.
    static let browserCost: Int64 = 80_000
    /// The client's driver process (Playwright's node driver) receiving it.
    static let driverCost: Int64 = 57_500
    /// The client's listener process (a Python script parsing each line) reading it.
    static let listenerCost: Int64 = 112_500

    /// Whether a handler doing `work` logs a record: the script's handlers (an event or a
    /// settled operation, a WebSocket message, a message sent, a connection created).
    static func logsRecord(_ work: CPUWork) -> Bool {
        switch work {
        case .eventDispatch, .webSocketMessage, .sendMessage, .createPeerConnection: return true
        default: return false
        }
    }
}

/// A machine's threads that carry its instrumented pages' records, one per process: the
/// browser's, the DevTools client's driver and its listener.
struct DevToolsThreads {
    let browser: CPUThreadID
    let driver: CPUThreadID
    let listener: CPUThreadID
}
