import Foundation

/// Progress on stderr for runs and sweeps that take a while: simulated time and events, or
/// runs done. Shown only when stderr is a terminal and only after the first second, so pipes,
/// CI logs and `--json` consumers never see it; redrawn in place at most ten times a second
/// and erased when the work is done.
final class Progress: @unchecked Sendable {
    private let enabled: Bool
    private let start: UInt64
    /// How long work runs before progress shows: a second, or `MESHSIM_PROGRESS_AFTER_MS`
    /// (for tests of the display itself).
    private let delay: UInt64
    private var lastDraw: UInt64 = 0
    private var drawn = false
    private let lock = NSLock()

    init() {
        enabled = isatty(2) == 1
        start = Self.monotonicNs()
        delay = ProcessInfo.processInfo.environment["MESHSIM_PROGRESS_AFTER_MS"].flatMap { UInt64($0) }.map { $0 * 1_000_000 }
            ?? 1_000_000_000
    }

    /// Draws `text()` if a redraw is due; `text` is only evaluated then.
    func update(_ text: () -> String) {
        guard enabled else { return }
        let t = Self.monotonicNs()
        lock.lock()
        defer { lock.unlock() }
        guard t - start >= delay, !drawn || t - lastDraw >= 100_000_000 else { return }
        lastDraw = t
        drawn = true
        FileHandle.standardError.write(Data(("\r" + oneLine(text()) + "\u{1B}[K").utf8))
    }

    /// Erases the progress line, if one was drawn.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        guard drawn else { return }
        drawn = false
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    /// Wall-clock time for pacing the display only; it never reaches a simulation.
    private static func monotonicNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
