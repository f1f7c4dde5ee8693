import SignalProtocol

// The scenario model: what a scenario file says, validated and with every default filled in.
// Produced by `ScenarioLoader`; all times are `SimDuration` (Int64 nanoseconds).

/// RFC 4787 behaviour of a NAT's mapping or filtering.
enum NATBehaviour: String, Equatable, CaseIterable {
    case endpointIndependent
    case addressDependent
    case addressAndPortDependent
}

/// A NAT in front of a host (or a LAN). `nil` (`"none"` in files) means a public address.
struct NATSpec: Equatable {
    var mapping: NATBehaviour
    var filtering: NATBehaviour
    /// Idle time after which a mapping is gone (RFC 4787 REQ-5: at least 2 minutes; Linux
    /// netfilter's UDP stream timeout is exactly that). `mappingLifetime` in a NAT object.
    var mappingLifetime: SimDuration = 120 * nsPerSecond

    init(mapping: NATBehaviour, filtering: NATBehaviour, mappingLifetime: SimDuration = 120 * nsPerSecond) {
        self.mapping = mapping
        self.filtering = filtering
        self.mappingLifetime = mappingLifetime
    }

    static let fullCone = NATSpec(mapping: .endpointIndependent, filtering: .endpointIndependent)
    static let restrictedCone = NATSpec(mapping: .endpointIndependent, filtering: .addressDependent)
    static let portRestrictedCone = NATSpec(mapping: .endpointIndependent, filtering: .addressAndPortDependent)
    static let symmetric = NATSpec(mapping: .addressAndPortDependent, filtering: .addressAndPortDependent)

    /// The classic names accepted in files, in documentation order.
    static let named: [(name: String, spec: NATSpec)] = [
        ("fullCone", .fullCone), ("restrictedCone", .restrictedCone),
        ("portRestrictedCone", .portRestrictedCone), ("symmetric", .symmetric),
    ]

    /// The classic name if it is one of the four pairs, otherwise `{mapping/filtering}`.
    var displayName: String {
        for n in NATSpec.named where n.spec.mapping == mapping && n.spec.filtering == filtering { return n.name }
        return "{mapping: \(mapping.rawValue), filtering: \(filtering.rawValue)}"
    }

    /// The NAT spelled out for a message that sets two NATs side by side: the classic name (or
    /// "a custom NAT") with both RFC 4787 behaviours, so that two different NATs never read
    /// alike, e.g. `fullCone (endpointIndependent mapping, endpointIndependent filtering)`.
    /// `lifetime` adds the mapping lifetime, for when that is (part of) what differs.
    func comparisonText(lifetime: Bool) -> String {
        let name = NATSpec.named.first { $0.spec.mapping == mapping && $0.spec.filtering == filtering }?.name
        var parts = ["\(mapping.rawValue) mapping", "\(filtering.rawValue) filtering"]
        if lifetime { parts.append("mapping lifetime \(DurationText.format(mappingLifetime))") }
        return "\(name ?? "a custom NAT") (\(parts.joined(separator: ", ")))"
    }
}

/// ICE and consent timers, defaults calibrated to Chromium (libwebrtc). Each field can be
/// overridden in a file under `network.ice` with the same name.
struct ICESettings: Equatable {
    /// Interval between connectivity checks while no pair is writable yet (libwebrtc WEAK_PING_INTERVAL).
    var weakPingInterval: SimDuration = 48 * nsPerMs
    /// Interval between checks on pairs other than the selected one once it is strong (STRONG_PING_INTERVAL).
    var strongPingInterval: SimDuration = 480 * nsPerMs
    /// Ping (consent) interval on a writable, stable selected pair (STABLE_WRITABLE_CONNECTION_PING_INTERVAL).
    var stablePingInterval: SimDuration = 2500 * nsPerMs
    /// Ping interval on a writable pair that is weak or still stabilizing (WEAK_OR_STABILIZING_WRITABLE_CONNECTION_PING_INTERVAL).
    var weakOrStabilizingPingInterval: SimDuration = 900 * nsPerMs
    /// Nothing received on a pair for this long: it stops "receiving" (iceConnectionState `disconnected`).
    var receivingTimeout: SimDuration = 2500 * nsPerMs
    /// Checks unanswered for this long (and at least `unwritableMinChecks` of them): the pair becomes unwritable.
    var unwritableTimeout: SimDuration = 5 * nsPerSecond
    /// Unanswered checks needed, besides `unwritableTimeout`, before a pair becomes unwritable.
    var unwritableMinChecks: Int = 5
    /// A pair unwritable for this long is inactive and dropped; with none left ICE `failed`.
    var inactiveTimeout: SimDuration = 15 * nsPerSecond
    /// Nothing received on a pair for this long: the pair is dead and pruned.
    var deadConnectionTimeout: SimDuration = 30 * nsPerSecond
    /// First retransmission timeout of a STUN/TURN server request; doubles on each retransmission.
    var stunInitialRTO: SimDuration = 250 * nsPerMs
    /// Retransmissions of a STUN/TURN server request before it is given up.
    var stunMaxRetransmissions: Int = 8
    /// Time for a host candidate to appear after gathering starts.
    var gatheringDelay: SimDuration = 2 * nsPerMs
    /// Time between libwebrtc's gathering phases (UDP, RELAY, TCP): `kMinimumStepDelay`.
    var gatheringStepDelay: SimDuration = 50 * nsPerMs
    /// RTCPeerConnections one page may hold (Chromium's cap is 500); 0 means unlimited.
    var maxPeerConnections: Int = 500

    init() {}
}

/// Overrides of `ICESettings`: only the fields written in the file.
struct ICEPatch: Equatable {
    var weakPingInterval: SimDuration?
    var strongPingInterval: SimDuration?
    var stablePingInterval: SimDuration?
    var weakOrStabilizingPingInterval: SimDuration?
    var receivingTimeout: SimDuration?
    var unwritableTimeout: SimDuration?
    var unwritableMinChecks: Int?
    var inactiveTimeout: SimDuration?
    var deadConnectionTimeout: SimDuration?
    var stunInitialRTO: SimDuration?
    var stunMaxRetransmissions: Int?
    var gatheringDelay: SimDuration?
    var gatheringStepDelay: SimDuration?
    var maxPeerConnections: Int?

    init() {}

    var isEmpty: Bool { self == ICEPatch() }

    func applied(to s: ICESettings) -> ICESettings {
        var r = s
        if let v = weakPingInterval { r.weakPingInterval = v }
        if let v = strongPingInterval { r.strongPingInterval = v }
        if let v = stablePingInterval { r.stablePingInterval = v }
        if let v = weakOrStabilizingPingInterval { r.weakOrStabilizingPingInterval = v }
        if let v = receivingTimeout { r.receivingTimeout = v }
        if let v = unwritableTimeout { r.unwritableTimeout = v }
        if let v = unwritableMinChecks { r.unwritableMinChecks = v }
        if let v = inactiveTimeout { r.inactiveTimeout = v }
        if let v = deadConnectionTimeout { r.deadConnectionTimeout = v }
        if let v = stunInitialRTO { r.stunInitialRTO = v }
        if let v = stunMaxRetransmissions { r.stunMaxRetransmissions = v }
        if let v = gatheringDelay { r.gatheringDelay = v }
        if let v = gatheringStepDelay { r.gatheringStepDelay = v }
        if let v = maxPeerConnections { r.maxPeerConnections = v }
        return r
    }
}

/// Network parameters (`network` in the file).
struct NetworkSettings: Equatable {
    /// One-way delay of each host's access link (a packet from A to B takes A's plus B's).
    var latency: SimDuration = 20 * nsPerMs
    /// Random extra delay per packet, up to this much, from the run's seeded generator.
    var jitter: SimDuration = 0
    /// Probability that a UDP datagram is lost.
    var loss: Double = 0
    /// A STUN server is reachable.
    var stun: Bool = true
    /// A TURN server is reachable over UDP and TCP.
    var turn: Bool = false
    /// The TURN server's relay addresses, each with 16,384 relayed ports (`network.turnRelayAddresses`,
    /// an extension): how many allocations it can hold at once. One is a default coturn.
    var turnRelayAddresses: Int = 64
    /// One-way delay from the internet core to the signaling server (`network.server.latency`).
    var serverLatency: SimDuration = 10 * nsPerMs
    /// The machine (`machines`) the signaling server's process runs on (`network.server.machine`);
    /// nil: one of its own.
    var serverMachine: String?
    /// ICE and consent timers (`network.ice`).
    var ice = ICESettings()
    /// Every host's access link capacity in bits per second (media streams); nil: unlimited.
    var uplink: Int64?
    var downlink: Int64?

    init() {}
}

/// The fields present in a `network` object (top level or `network` event).
struct NetworkPatch: Equatable {
    var latency: SimDuration?
    var jitter: SimDuration?
    var uplink: Int64?
    var downlink: Int64?
    var loss: Double?
    var stun: Bool?
    var turn: Bool?
    /// Top level only (the server's addresses are fixed for the run).
    var turnRelayAddresses: Int?
    var serverLatency: SimDuration?
    var ice = ICEPatch()

    init() {}

    func applied(to s: NetworkSettings) -> NetworkSettings {
        var r = s
        if let v = latency { r.latency = v }
        if let v = jitter { r.jitter = v }
        if let v = loss { r.loss = v }
        if let v = stun { r.stun = v }
        if let v = turn { r.turn = v }
        if let v = turnRelayAddresses { r.turnRelayAddresses = v }
        if let v = uplink { r.uplink = v }
        if let v = downlink { r.downlink = v }
        if let v = serverLatency { r.serverLatency = v }
        r.ice = ice.applied(to: r.ice)
        return r
    }
}

/// What an attacking peer does instead of joining the mesh (peer field `behaviour`, an
/// extension of docs/contract.md; see docs/scenario-format.md). Each is one attack, tried on its own
/// WebSocket, and counted in the report as blocked or not.
enum AttackKind: String, CaseIterable, Equatable {
    /// Sends a signal whose `from` names an honest peer.
    case spoofFrom
    /// Says `hello` with an honest peer's uid, without its reclaim secret.
    case hijackUid
    /// Sends signals as fast as it can.
    case flood
    /// Sends one frame larger than the server's cap.
    case oversize
    /// Sends frames that are not valid protocol messages.
    case garbage
    /// Signals peers the server never introduced it to (before its hello; to a uid not online).
    case signalStrangers
}

/// One peer (a browser tab on its own host, or on a shared LAN).
struct PeerSpec: Equatable {
    /// Non-empty: the peer is an attacker, not a member of the mesh (it is left out of the
    /// full-mesh oracle) and tries these attacks when it joins.
    var behaviour: [AttackKind] = []

    /// This spec with its link capacities set.
    func with(uplink: Int64?, downlink: Int64?) -> PeerSpec {
        var p = self
        p.uplink = uplink
        p.downlink = downlink
        return p
    }

    /// This spec with `preloaded` and `devtoolsLogging` set.
    func with(preloaded: Bool, devtoolsLogging: Bool = false) -> PeerSpec {
        var p = self
        p.preloaded = preloaded
        p.devtoolsLogging = devtoolsLogging
        return p
    }

    /// This spec with `behaviour` set.
    func with(behaviour: [AttackKind]) -> PeerSpec {
        var p = self
        p.behaviour = behaviour
        return p
    }

    /// The uid the page keeps in sessionStorage.
    var id: String
    /// When the page opens (for a `join` event: the event's time).
    var join: SimDuration = 0
    /// nil: public address.
    var nat: NATSpec?
    /// Peers with the same `lan` share one NAT and reach each other's host candidates.
    var lan: String?
    /// Overrides the network's access-link latency for this host.
    var latency: SimDuration?
    /// false: only TCP gets out (TURN over TCP is the only way).
    var udp: Bool = true
    /// The name of the machine (scenario `machines`) the page runs on; nil: one of its own.
    var machine: String?
    /// The page was loaded before its join, which only opens its WebSocket (as the Chromium
    /// crosscheck's tabs are: loaded seconds before, told to connect at their join time): its
    /// first load costs no CPU. A reload loads as any page does.
    var preloaded = false
    /// The page's script logs everything to a DevTools client (`DevToolsLogging`); its reloads too.
    var devtoolsLogging = false
    /// The host's access link capacity in bits per second (media streams); nil: the network's.
    var uplink: Int64?
    var downlink: Int64?
    /// Where it was defined: "peers[2]", "peers[2] (member p07)", "events[4]".
    var path: String
    /// A `join` event that names a host field (`nat`, `lan`, `latency`, `udp`, `uplink`,
    /// `downlink`): a peer it brings back after `leave` comes back on a new host with these
    /// fields instead of the computer it left from (docs/scenario-format.md).
    var newHost = false

    init(id: String, join: SimDuration = 0, nat: NATSpec? = nil, lan: String? = nil,
         latency: SimDuration? = nil, udp: Bool = true, machine: String? = nil, path: String) {
        self.id = id
        self.machine = machine
        self.join = join
        self.nat = nat
        self.lan = lan
        self.latency = latency
        self.udp = udp
        self.path = path
    }
}

/// What an event does (the file's `do` and its fields, defaults filled in).
enum ScenarioAction: Equatable {
    /// A new page opens with this uid.
    case join(PeerSpec)
    /// The page reloads; the new one loads after `downtime`. `clean: false` is crash + session restore.
    case refresh(peer: String, downtime: SimDuration, clean: Bool)
    /// A second tab with a copy of sessionStorage (same uid), named `as` in reports and events.
    case duplicateTab(peer: String, as: String)
    /// Only the WebSocket breaks; the page reconnects after `reconnectAfter`.
    case wsDrop(peer: String, reconnectAfter: SimDuration)
    /// The tab closes.
    case leave(peer: String)
    /// The host vanishes for good.
    case crash(peer: String)
    /// The host loses all connectivity for a while.
    case offline(peer: String, for: SimDuration)
    /// UDP between the hosts of `a` and `b` is blocked for a while.
    case partition(a: String, b: String, for: SimDuration)
    /// The signaling server loses every socket and all state, back after `downtime`.
    case serverRestart(downtime: SimDuration)
    /// Network parameters change from now on.
    case network(NetworkPatch)

    /// Every `do` value, in documentation order (the event tables, ScenarioFields.swift).
    static let kindNames = ScenarioFormat.eventKinds

    static let defaultRefreshDowntime: SimDuration = 500 * nsPerMs
    static let defaultReconnectAfter: SimDuration = 1 * nsPerSecond
    static let defaultServerRestartDowntime: SimDuration = 1 * nsPerSecond

    /// The file's `do` value.
    var kindName: String {
        switch self {
        case .join: return "join"
        case .refresh: return "refresh"
        case .duplicateTab: return "duplicateTab"
        case .wsDrop: return "wsDrop"
        case .leave: return "leave"
        case .crash: return "crash"
        case .offline: return "offline"
        case .partition: return "partition"
        case .serverRestart: return "serverRestart"
        case .network: return "network"
        }
    }

    /// The peer the event is about, if it is about one (for `partition`, the first).
    var peer: String? {
        switch self {
        case .join(let p): return p.id
        case .refresh(let p, _, _), .duplicateTab(let p, _), .wsDrop(let p, _), .leave(let p),
             .crash(let p), .offline(let p, _):
            return p
        case .partition(let a, _, _): return a
        case .serverRestart, .network: return nil
        }
    }
}

struct ScenarioEvent: Equatable {
    var at: SimDuration
    var action: ScenarioAction
    /// Where it was defined, e.g. "events[3]" (index in the file, not in time order).
    var path: String
}

/// Two peers named in an expectation.
struct PeerPair: Equatable {
    var a: String
    var b: String

    init(_ a: String, _ b: String) {
        self.a = a
        self.b = b
    }
}

/// The `expect` object.
struct Expectations: Equatable {
    var fullMesh: Bool = true
    var convergedWithin: SimDuration?
    var connected: [PeerPair] = []
    var notConnected: [PeerPair] = []
    var relayed: [PeerPair] = []
    var noRenegotiation: [String] = []
    var maxSignalingMessages: Int?
    /// The fraction of traffic messages sent that arrived (scenario `traffic`).
    var dataDelivered: Double?
    /// The latest any traffic message may arrive after its `send()`.
    var maxDataLatency: SimDuration?
    /// The most any host's media demand may be of its uplink capacity.
    var maxUplinkUtilisation: Double?
    /// The expect fields written in the file, in file order; `["fullMesh"]` when the file has
    /// no `expect` (the default expectation), `[]` for `"expect": {}`.
    var present: [String] = ["fullMesh"]

    /// The `expect` fields, in documentation order (ScenarioFields.swift).
    static let fieldNames = ScenarioFormat.expect.fieldNames

    init() {}
}

/// A validated scenario.
struct Scenario: Equatable {
    /// The file it was loaded from, as given to the loader.
    var file: String
    var name: String
    var description: String?
    var seed: UInt64 = 1
    /// Length of the run (> 0).
    var duration: SimDuration
    /// Reconnect policy name; the loader does not check it against the known policies. For a
    /// policy object, its name.
    var policy: String = "seed"
    /// The policy written as an object (`policyObject.name == policy`); nil for a name.
    var policyObject: PolicySpec?
    var network = NetworkSettings()
    /// Peers present from the start (groups expanded into their members), in file order.
    var peers: [PeerSpec]
    /// Events sorted by `at`, file order for equal times.
    var events: [ScenarioEvent]
    var expect = Expectations()
    /// The named machines (`machines`), in file order.
    var machines: [MachineSpec] = []
    /// Application traffic flows (`traffic`), in file order; empty: the data path is off.
    var traffic: [TrafficFlow] = []

    init(file: String, name: String, description: String? = nil, seed: UInt64 = 1, duration: SimDuration,
         policy: String = "seed", network: NetworkSettings = NetworkSettings(), peers: [PeerSpec],
         events: [ScenarioEvent] = [], expect: Expectations = Expectations()) {
        self.file = file
        self.name = name
        self.description = description
        self.seed = seed
        self.duration = duration
        self.policy = policy
        self.network = network
        self.peers = peers
        self.events = events
        self.expect = expect
    }
}
