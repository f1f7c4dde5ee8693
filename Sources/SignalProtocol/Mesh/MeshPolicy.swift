/// A reconnect policy: the decisions the notes leave to the mesh manager, made pluggable so
/// that policies can be compared on the same scenarios.
///
/// The manager asks the policy at each decision point; a policy that does not care about a
/// hook keeps the notes' behaviour through the default implementations.
public protocol MeshPolicy: Sendable {
    /// Name used on the command line and in reports.
    var name: String { get }
    /// One line for `MeshSim policies`.
    var summary: String { get }
    /// Strategy 1's "if connected, ignore": does this link count as connected?
    func isConnected(_ link: MeshLink) -> Bool
    /// Tear a link down when its data channel closes (what simple-peer does).
    var destroyOnChannelClose: Bool { get }
    /// Tear a link down when connectionState becomes `failed` (simple-peer's
    /// ERR_CONNECTION_FAILURE).
    var destroyOnConnectionFailed: Bool { get }
}

extension MeshPolicy {
    public var destroyOnChannelClose: Bool { true }
    public var destroyOnConnectionFailed: Bool { true }
}

/// The notes, literally, as a simple-peer style wrapper runs them: "connected" means the data
/// channel is open (calibration/README.md, "What connected means to the seed policy").
public struct SeedPolicy: MeshPolicy {
    public init() {}
    public var name: String { "seed" }
    public var summary: String {
        "the notes literally: passive on init, active on online, strategy 1 with connected = data channel open"
    }
    public func isConnected(_ link: MeshLink) -> Bool { link.dataChannelOpen }
}

/// The stricter literal reading: "connected" is `connectionState === 'connected'`, the reading
/// of the Chromium recordings, under which even a clean reload leaves a zombie (calibration exp3).
public struct SeedStrictPolicy: MeshPolicy {
    public init() {}
    public var name: String { "seed-strict" }
    public var summary: String {
        "the notes literally, with connected = connectionState 'connected' (zombies even on a clean reload)"
    }
    public func isConnected(_ link: MeshLink) -> Bool { link.connectionState == .connected }
}

/// Every policy MeshSim knows, in the order `MeshSim policies` lists them.
public enum Policies {
    public static let all: [any MeshPolicy] = [SeedPolicy(), SeedStrictPolicy()]

    public static func named(_ name: String) -> (any MeshPolicy)? {
        all.first { $0.name == name }
    }
}
