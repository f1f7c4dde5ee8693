/// A computer that pages run on (scenario `machines`, peer field `machine`): its cores are
/// shared by the browser threads of every page on it, as the tabs of one browser on one
/// computer share its CPUs (docs/model.md, "CPU").
struct MachineSpec: Equatable {
    /// The name the scenario gives it; a peer without `machine` gets an unnamed one of its own.
    var name: String?
    /// Cores the machine's pages share (1 to 256).
    var cores: Int
    /// Work per unit of time relative to one core of the machine the Chromium calibration was
    /// recorded on (docs/calibration/chromium): 2 runs every cost in half the time.
    var speed: Double

    /// A peer without a `machine`: a computer of its own, as a typical laptop (4 cores) at the
    /// calibration machine's speed per core.
    static let defaultCores = 4
    static let defaultSpeed = 1.0

    init(name: String?, cores: Int = MachineSpec.defaultCores, speed: Double = MachineSpec.defaultSpeed) {
        self.name = name
        self.cores = cores
        self.speed = speed
    }
}

/// A machine of the run: its index in `MachineScheduler`.
struct MachineID: Hashable, Comparable {
    let raw: Int32
    init(_ raw: Int32) { self.raw = raw }
    static func < (a: MachineID, b: MachineID) -> Bool { a.raw < b.raw }
}

/// The threads a page's browser work runs on, as Chromium runs it: the renderer's main thread
/// (the page's script: WebSocket messages, RTCPeerConnection calls, event handlers), and the
/// signaling and network threads of the page's WebRTC stack (libwebrtc's
/// `PeerConnectionFactory`: JSEP operations of all the page's connections on one, every packet
/// of all of them on the other).
enum BrowserThread {
    case main, signaling, network
}

/// One page's threads on its machine's scheduler (`MachineScheduler`), created when first
/// given work. A reloaded page keeps them: a reload keeps the renderer process.
struct PageThreads {
    var main: CPUThreadID?
    var signaling: CPUThreadID?
    var network: CPUThreadID?

    subscript(thread: BrowserThread) -> CPUThreadID? {
        get {
            switch thread {
            case .main: return main
            case .signaling: return signaling
            case .network: return network
            }
        }
        set {
            switch thread {
            case .main: main = newValue
            case .signaling: signaling = newValue
            case .network: network = newValue
            }
        }
    }
}
