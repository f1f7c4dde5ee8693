// The scenario format as one table of fields per object: the single source of the fields the
// loader accepts (its "unknown field (expected one of: ...)" lists), of the field tables in
// docs/scenario-format.md (checked by ScenarioFormatTests) and of the JSON Schema
// docs/scenario.schema.json (`MeshSim schema`, ScenarioSchema.swift).
//
// Adding a field: one row here, plus reading it in ScenarioLoader.swift (its semantic handling:
// the model field it sets, cross-checks); then regenerate the schema
// (`swift run MeshSim schema > docs/scenario.schema.json`) and add the row to the docs table.

import SignalProtocol

/// How short a duration field may be.
enum DurationBound: Equatable {
    /// Any duration, zero included.
    case any
    /// Greater than zero.
    case positive
    /// At least a millisecond (the ICE timers: finer timers are nothing a browser does).
    case atLeastMillisecond
}

/// What a field's value must be, as far as its own value goes (relations between fields, such
/// as unique ids or times before the run's end, are the loader's semantic checks).
indirect enum ScenarioFieldType {
    /// A duration string ("250ms"), at most 30 days, a whole number of nanoseconds.
    case duration(DurationBound)
    /// An integer literal (no fraction, no exponent) from `min` to `max`.
    case integer(min: Int64, max: UInt64)
    /// A number from `min` to `max`.
    case number(min: Double, max: Double)
    /// A number above `min`, at most `max`.
    case numberAbove(min: Double, max: Double)
    case boolean
    /// JSON `null` (with `.either`: a decision that is off).
    case null
    case string(nonEmpty: Bool)
    /// One of these strings; `noun` names one of them in the docs ("NAT name").
    case names([String], noun: String)
    /// A peer id being defined: 1 to 64 characters from A-Z a-z 0-9 . _ -
    case peerId
    /// An object whose keys are names (`key` says of what) and whose values are of one type.
    case map(ScenarioFieldType, key: String)
    /// The name of a machine defined in `machines`.
    case machineRef
    /// A group's member-id prefix: the characters of a peer id.
    case idPrefix
    /// A reference to a peer defined elsewhere in the file.
    case peerRef
    /// `[a, b]`: two different peer references.
    case pair
    /// An object described by the table with this id.
    case object(String)
    /// An array; `nonEmpty`: at least one element; `distinct`: no element twice.
    case array(ScenarioFieldType, nonEmpty: Bool, distinct: Bool)
    /// Any one of these.
    case either([ScenarioFieldType])
    /// A NAT: one of `ScenarioFormat.natNames`, or an object (table `natObject`).
    case nat
    /// A `peers` entry: a single peer (table `peer`) or a group (table `group`).
    case peerEntry
    /// An `events` entry: the table of its `do` kind.
    case event
}

extension ScenarioFieldType {
    /// The type column of the docs' field tables: "duration > 0", "integer 1 … 64".
    var docsText: String {
        switch self {
        case .duration(.any): return "duration"
        case .duration(.positive): return "duration > 0"
        case .duration(.atLeastMillisecond): return "duration ≥ 1ms"
        case .integer(let min, let max):
            return "integer \(min) … \(max)"
        case .number(let min, let max): return "number \(JSONNumber.literal(min)) … \(JSONNumber.literal(max))"
        case .numberAbove(let min, let max): return "number > \(JSONNumber.literal(min)), ≤ \(JSONNumber.literal(max))"
        case .boolean: return "boolean"
        case .null: return "null"
        case .string(let nonEmpty): return nonEmpty ? "non-empty string" : "string"
        case .names(let names, _): return "one of " + names.map { "`\($0)`" }.joined(separator: ", ")
        case .peerId, .peerRef: return "peer id"
        case .map(let value, let key): return "object: \(key) → " + value.docsText
        case .machineRef: return "machine name"
        case .idPrefix: return "peer-id characters"
        case .pair: return "`[a, b]`"
        case .object(let id): return ScenarioFormat.table(id)?.shape.map { "`\($0)`" } ?? "object"
        case .array(let element, let nonEmpty, let distinct):
            return (nonEmpty ? "non-empty array of " : "array of ") + (distinct ? "distinct " : "") + element.pluralText
        case .either(let types): return types.map(\.docsText).joined(separator: " or ")
        case .nat: return "NAT name or " + ScenarioFieldType.object("natObject").docsText
        case .peerEntry: return "peer or group"
        case .event: return "event"
        }
    }

    /// Several of them, after "array of".
    private var pluralText: String {
        switch self {
        case .names(_, let noun): return noun + "s"
        case .peerId, .peerRef: return "peer ids"
        case .pair: return "`[a, b]` pairs"
        case .peerEntry: return "peers and groups"
        case .event: return "events"
        default: return docsText
        }
    }
}

/// What a missing optional field means.
enum ScenarioFieldDefault {
    /// Nothing: absent is absent (`description`, `lan`).
    case none
    /// This JSON value, written as in a file: `"\"20ms\""`, `"true"`, `"{\"fullMesh\": true}"`.
    case value(String)
    /// Said in words: "the network's `latency`".
    case text(String)
}

/// One field of an object in a scenario file.
struct ScenarioField {
    let name: String
    let type: ScenarioFieldType
    let required: Bool
    /// For an optional field, what leaving it out means.
    let defaultValue: ScenarioFieldDefault
    /// One line (Markdown); the docs' meaning column starts with it, the schema's description is it.
    let meaning: String
    /// Listed in "unknown field (expected one of: ...)" messages; false only for `$schema`,
    /// which is editor metadata, not part of the scenario.
    let listed: Bool

    static func required(_ name: String, _ type: ScenarioFieldType, _ meaning: String) -> ScenarioField {
        ScenarioField(name: name, type: type, required: true, defaultValue: .none, meaning: meaning, listed: true)
    }

    static func optional(_ name: String, _ type: ScenarioFieldType, _ defaultValue: ScenarioFieldDefault,
                         _ meaning: String, listed: Bool = true) -> ScenarioField {
        ScenarioField(name: name, type: type, required: false, defaultValue: defaultValue, meaning: meaning, listed: listed)
    }

    /// The same field with another default (a `network` event changes only what it names).
    func with(default d: ScenarioFieldDefault) -> ScenarioField {
        ScenarioField(name: name, type: type, required: required, defaultValue: d, meaning: meaning, listed: listed)
    }
}

/// The fields of one kind of object.
struct ScenarioTable {
    /// Its name among the schema's `$defs`: "network", "ice", "refreshEvent".
    let id: String
    /// Where it sits in a file, for people: "network.ice", "event refresh".
    let title: String
    let meaning: String
    let fields: [ScenarioField]
    /// For an event's table, its `do` value.
    let eventKind: String?
    /// How the docs write such an object in a type column (`{"start": D, "every": D}`); nil: "object".
    let shape: String?

    init(id: String, title: String, meaning: String, fields: [ScenarioField], eventKind: String? = nil, shape: String? = nil) {
        self.id = id
        self.title = title
        self.meaning = meaning
        self.fields = fields
        self.eventKind = eventKind
        self.shape = shape
    }

    /// Every field the object accepts, in documentation order.
    var fieldNames: [String] { fields.map(\.name) }
    /// The names an "unknown field" message lists.
    var listedNames: [String] { fields.filter(\.listed).map(\.name) }

    func field(_ name: String) -> ScenarioField? {
        fields.first { $0.name == name }
    }
}

/// The tables. Field order is documentation order, and the order of "expected one of" lists.
enum ScenarioFormat {
    static let top = ScenarioTable(id: "scenario", title: "top level", meaning: "A MeshSim scenario: a mesh of browser tabs, the network between them, what happens to them over time and what should hold at the end.", fields: [
        .optional("$schema", .string(nonEmpty: false), .none,
                  "the JSON Schema of this format, for editors (such as `\"./docs/scenario.schema.json\"`); ignored", listed: false),
        .required("name", .string(nonEmpty: true), "shown in reports"),
        .optional("description", .string(nonEmpty: false), .none, "free text"),
        .optional("seed", .integer(min: 0, max: UInt64.max), .value("1"),
                  "seeds the run's random generator; `--seed` overrides it"),
        .required("duration", .duration(.positive), "simulated length of the run"),
        .optional("policy", .either([.string(nonEmpty: true), .object("policy")]), .value("\"seed\""),
                  "reconnect policy: a name (`MeshSim policies` lists them) or a policy object; `--policy` overrides it"),
        .optional("network", .object("network"), .text("see below"), "network parameters"),
        .optional("machines", .map(.object("machine"), key: "machine name"), .text("none: every peer on a machine of its own (4 cores, speed 1)"),
                  "the computers pages run on, by name; pages on one machine share its cores"),
        .required("peers", .array(.peerEntry, nonEmpty: true, distinct: false),
                  "peers present from the start (single peers and groups)"),
        .optional("events", .array(.event, nonEmpty: false, distinct: false), .value("[]"), "what happens during the run"),
        .optional("expect", .object("expect"), .value("{\"fullMesh\": true}"), "what must hold"),
        .optional("traffic", .array(.object("flow"), nonEmpty: false, distinct: false), .value("[]"),
                  "application messages over the mesh's data channels, flow by flow"),
    ])

    static let flow = ScenarioTable(id: "flow", title: "flow", meaning: "One traffic flow: messages from senders to receivers over negotiated data channels.", fields: [
        .required("pattern", .names(TrafficFlow.Pattern.allCases.map(\.rawValue), noun: "pattern"),
                  "`allToAll`: every peer to every other; `oneToAll`: `from` to every other peer; `pair`: `from` to `to`"),
        .optional("from", .peerRef, .none, "the sender (`oneToAll` and `pair` only)"),
        .optional("to", .peerRef, .none, "the receiver (`pair` only)"),
        .optional("messageSize", .integer(min: 1, max: 16_777_216), .value("1024"),
                  "payload bytes per message; above 262,108 bytes (256 KiB less the 36-byte envelope header) a message goes as several envelope chunks"),
        .optional("rate", .numberAbove(min: 0, max: 1_000), .text("1, or as fast as the channel takes them with `totalBytes`"),
                  "messages per second from each sender to each receiver"),
        .optional("totalBytes", .integer(min: 1, max: 1_099_511_627_776), .none,
                  "payload bytes each sender sends each receiver, then stops (in whole messages: the last one that passes the total is sent whole)"),
        .optional("start", .duration(.any), .value("\"0s\""), "when sending starts"),
        .optional("stop", .duration(.positive), .text("the end of the run"), "when sending stops"),
        .optional("ordered", .boolean, .value("true"), "the channel delivers in order (`RTCDataChannelInit.ordered`)"),
        .optional("maxRetransmits", .integer(min: 0, max: 65_535), .none,
                  "partial reliability: give a message up after this many retransmissions"),
        .optional("maxPacketLifeTime", .duration(.any), .none,
                  "partial reliability: give a message up when this long after `send()` it has not started to leave or a chunk of it needs retransmitting (a message that started in time is sent to its end, as Chromium's dcSCTP does: a large message can arrive later than this; docs/model.md, \"Partial reliability\") (at most 65.535 s; a fraction of a millisecond is dropped, as WebIDL's `unsigned short` conversion does)"),
        .optional("audio", .integer(min: 0, max: 100_000_000), .none,
                  "a media flow: each sender's audio track, in bits per second, to each receiver"),
        .optional("video", .integer(min: 0, max: 100_000_000), .none,
                  "a media flow: each sender's video track, in bits per second, to each receiver"),
    ], shape: "{\"pattern\": P, ...}")

    static let network = ScenarioTable(id: "network", title: "network", meaning: "Network parameters.", fields: [
        .optional("latency", .duration(.any), .value("\"20ms\""),
                  "one-way delay of each host's access link; a packet from host A to host B takes A's plus B's"),
        .optional("jitter", .duration(.any), .value("\"0ms\""),
                  "random extra delay per packet, from the run's seeded generator; never reorders a TCP/WebSocket stream"),
        .optional("loss", .number(min: 0, max: 1), .value("0"),
                  "probability that a UDP datagram (ICE check, STUN, TURN, DTLS/SCTP) is lost"),
        .optional("stun", .boolean, .value("true"), "a STUN server is reachable (server-reflexive candidates)"),
        .optional("turn", .boolean, .value("false"), "a TURN server is reachable over UDP and TCP (relay candidates)"),
        .optional("turnRelayAddresses", .integer(min: 1, max: 64), .value("64"),
                  "extension, top level only: the TURN server's relay addresses, each with 16,384 relayed ports"),
        .optional("uplink", .integer(min: 1_000, max: 100_000_000_000), .text("unlimited"),
                  "top level only: every host's upload capacity in bits per second, which every datagram it sends and its media streams share"),
        .optional("downlink", .integer(min: 1_000, max: 100_000_000_000), .text("unlimited"),
                  "top level only: every host's download capacity in bits per second, which every datagram it receives and its media streams share"),
        .optional("server", .object("server"), .value("{\"latency\": \"10ms\"}"), "the signaling server"),
        .optional("ice", .object("ice"), .text("calibrated to Chromium"), "overrides of the ICE/consent timers"),
    ])

    static let server = ScenarioTable(id: "server", title: "network.server", meaning: "The signaling server.", fields: [
        .optional("latency", .duration(.any), .value("\"10ms\""),
                  "one-way delay from the internet core to the signaling server"),
        .optional("machine", .machineRef, .text("none: the server's work costs no modelled CPU"),
                  "top level only: the name of the machine (top-level `machines`) the server's process runs on; it reads, handles and sends every message on one thread that shares that machine's cores"),
    ])

    static let ice = ScenarioTable(id: "ice", title: "network.ice", meaning: "Overrides of the ICE and consent timers; the defaults are Chromium's (libwebrtc's).", fields: [
        .optional("weakPingInterval", .duration(.atLeastMillisecond), .value("\"48ms\""),
                  "interval between connectivity checks while no candidate pair is writable yet"),
        .optional("strongPingInterval", .duration(.atLeastMillisecond), .value("\"480ms\""),
                  "interval between checks on other pairs once the selected pair is strong"),
        .optional("stablePingInterval", .duration(.atLeastMillisecond), .value("\"2500ms\""),
                  "ping (consent) interval on a writable, stable selected pair"),
        .optional("weakOrStabilizingPingInterval", .duration(.atLeastMillisecond), .value("\"900ms\""),
                  "ping interval on a writable pair that is weak or still stabilizing"),
        .optional("receivingTimeout", .duration(.atLeastMillisecond), .value("\"2500ms\""),
                  "nothing received on a pair for this long: it stops receiving (`iceConnectionState` `disconnected`)"),
        .optional("unwritableTimeout", .duration(.atLeastMillisecond), .value("\"5s\""),
                  "checks unanswered for this long (and at least `unwritableMinChecks` of them): the pair becomes unwritable"),
        .optional("unwritableMinChecks", .integer(min: 1, max: 1_000), .value("5"),
                  "unanswered checks needed, besides `unwritableTimeout`, before a pair becomes unwritable"),
        .optional("inactiveTimeout", .duration(.atLeastMillisecond), .value("\"15s\""),
                  "a pair unwritable for this long is dropped; with none left ICE fails"),
        .optional("deadConnectionTimeout", .duration(.atLeastMillisecond), .value("\"30s\""),
                  "nothing received on a pair for this long: it is dead and pruned"),
        .optional("stunInitialRTO", .duration(.atLeastMillisecond), .value("\"250ms\""),
                  "first retransmission timeout of a STUN/TURN server request; doubles on each retransmission"),
        .optional("stunMaxRetransmissions", .integer(min: 0, max: 100), .value("8"),
                  "retransmissions of a STUN/TURN server request before it is given up"),
        .optional("gatheringDelay", .duration(.any), .value("\"2ms\""),
                  "time for a host candidate to appear after gathering starts"),
        .optional("gatheringStepDelay", .duration(.any), .value("\"50ms\""),
                  "time between libwebrtc's gathering phases: UDP (host, STUN), then RELAY (TURN), then TCP (a host TCP candidate); gathering stops at the first writable pair"),
        .optional("maxPeerConnections", .integer(min: 0, max: 1_000_000), .value("500"),
                  "RTCPeerConnections one page may hold (Chromium's cap of 500 per page); `0` means unlimited"),
    ])

    /// The NAT names a `nat` field accepts besides an object.
    static let natNames = ["none"] + NATSpec.named.map(\.name)

    /// The fields a single peer, a group and a `join` event share.
    static let peerAttributes: [ScenarioField] = [
        .optional("nat", .nat, .value("\"none\""), "the NAT in front of the host"),
        .optional("lan", .string(nonEmpty: true), .none,
                  "peers with the same `lan` sit behind one NAT on one local network and can reach each other's host candidates"),
        .optional("latency", .duration(.any), .text("the network's `latency`"), "this host's access-link delay"),
        .optional("udp", .boolean, .value("true"), "`false`: a firewall lets only TCP out, so only TURN over TCP works"),
        .optional("preloaded", .boolean, .value("false"),
                  "`true`: the page was loaded before its join, which only opens its WebSocket, so its first load costs no CPU (as the Chromium crosscheck's tabs, docs/fidelity.md)"),
        .optional("devtoolsLogging", .boolean, .value("false"),
                  "`true`: the page's script logs every event, signaling message and operation with `console.log` to a DevTools client attached to its browser (a Playwright or Puppeteer test harness), which costs its main thread and its machine CPU time (docs/model.md, \"Instrumented pages\")"),
        .optional("behaviour", .array(.names(AttackKind.allCases.map(\.rawValue), noun: "attack name"), nonEmpty: false, distinct: true),
                  .value("[]"), "non-empty: the peer is an **attacker**"),
        .optional("machine", .machineRef, .text("a machine of its own: 4 cores, speed 1"),
                  "the name of the machine (top-level `machines`) the page runs on; its threads share that machine's cores"),
        .optional("uplink", .integer(min: 1_000, max: 100_000_000_000), .text("the network's `uplink`"),
                  "this host's upload capacity in bits per second, which every datagram it sends and its media streams share"),
        .optional("downlink", .integer(min: 1_000, max: 100_000_000_000), .text("the network's `downlink`"),
                  "this host's download capacity in bits per second, which every datagram it receives and its media streams share"),
    ]

    static let machine = ScenarioTable(id: "machine", title: "machine", meaning: "A computer pages run on: every browser operation of its pages costs CPU time on its cores.", fields: [
        .required("cores", .integer(min: 1, max: 256), "cores its pages' threads share"),
        .optional("speed", .numberAbove(min: 0, max: 100), .value("1"),
                  "work per unit of time relative to one core of the machine the calibration was recorded on"),
    ], shape: "{\"cores\": N, \"speed\": S}")

    static let peer = ScenarioTable(id: "peer", title: "single peer", meaning: "One browser tab on a host of its own (or on a shared LAN).", fields: [
        .required("id", .peerId, "the uid the page keeps in sessionStorage; unique"),
        .optional("join", .duration(.any), .value("\"0s\""), "when the page opens"),
    ] + peerAttributes)

    static let group = ScenarioTable(id: "group", title: "group", meaning: "Peers described once: members named idPrefix + index, joining on a schedule. An entry with count or idPrefix (and no id) is a group.", fields: [
        .required("count", .integer(min: 1, max: UInt64(ScenarioLoader.maxGroupCount)), "number of members"),
        .required("idPrefix", .idPrefix, "member ids are `idPrefix` + index"),
        .optional("join", .either([.duration(.any), .object("joinSchedule")]), .value("\"0s\""),
                  "member *i* (from 0) joins at `start + i × every`; a plain duration means all members join at that time"),
    ] + peerAttributes)

    static let joinSchedule = ScenarioTable(id: "joinSchedule", title: "group join", meaning: "When a group's members join: member i (from 0) at start + i × every.", fields: [
        .optional("start", .duration(.any), .value("\"0s\""), "when the first member joins"),
        .optional("every", .duration(.any), .value("\"0s\""), "time between two members' joins"),
    ], shape: "{\"start\": D, \"every\": D}")

    static let natObject = ScenarioTable(id: "natObject", title: "NAT object", meaning: "A NAT by its RFC 4787 behaviours (an extension of CONTRACT).", fields: [
        .required("mapping", .names(NATBehaviour.allCases.map(\.rawValue), noun: "RFC 4787 behaviour"), "when the NAT reuses a mapping for a new destination (RFC 4787 section 4.1)"),
        .required("filtering", .names(NATBehaviour.allCases.map(\.rawValue), noun: "RFC 4787 behaviour"), "which inbound packets the NAT lets through a mapping (RFC 4787 section 5)"),
        .optional("mappingLifetime", .duration(.positive), .value("\"2m\""),
                  "how long a mapping lives after its last outbound packet (RFC 4787 REQ-5)"),
    ], shape: "{\"mapping\": M, \"filtering\": F}")

    static let expect = ScenarioTable(id: "expect", title: "expect", meaning: "What must hold; only the fields written are checked.", fields: [
        .optional("fullMesh", .boolean, .none, "`true`: the mesh is full at the end of the run; `false`: it is not"),
        .optional("convergedWithin", .duration(.any), .none,
                  "the mesh became full no later than this after the last join or the end of the last disruptive event, and stayed full to the end"),
        .optional("connected", .array(.pair, nonEmpty: false, distinct: false), .none, "these pairs are connected at the end"),
        .optional("notConnected", .array(.pair, nonEmpty: false, distinct: false), .none, "these pairs are not connected at the end"),
        .optional("relayed", .array(.pair, nonEmpty: false, distinct: false), .none,
                  "these pairs' selected candidate pair uses a TURN relay"),
        .optional("noRenegotiation", .array(.peerRef, nonEmpty: false, distinct: false), .none,
                  "after their last disruptive event no new offer involving them was created"),
        .optional("maxSignalingMessages", .integer(min: 0, max: UInt64(Int64.max)), .none,
                  "at most this many messages relayed by the signaling server over the run"),
        .optional("dataDelivered", .number(min: 0, max: 1), .none,
                  "at least this fraction of the traffic messages sent arrived (needs `traffic`)"),
        .optional("maxDataLatency", .duration(.any), .none,
                  "every traffic message that arrived did so at most this long after its `send()` (needs `traffic`)"),
        .optional("maxUplinkUtilisation", .number(min: 0, max: 1_000), .none,
                  "no host's media demand on its uplink was above this fraction of its capacity (needs a media flow)"),
    ])

    // MARK: events

    /// The fields of an event of kind `kind`: `at`, `do`, then its own.
    private static func event(_ kind: String, _ meaning: String, _ fields: [ScenarioField]) -> ScenarioTable {
        ScenarioTable(id: kind + "Event", title: "event \(kind)", meaning: meaning, fields: [
            .required("at", .duration(.any), "when it happens (before the run's end)"),
            .required("do", .names([kind], noun: "event kind"), "what happens"),
        ] + fields, eventKind: kind)
    }

    private static let eventPeer = ScenarioField.required("peer", .peerRef, "the peer it happens to")

    /// One table per `do` kind, in documentation order.
    static let events: [ScenarioTable] = [
        event("join", "A new page opens with that uid (the peer fields as for `peers`).", [
            .required("peer", .peerId, "the id of the new page"),
        ] + peerAttributes),
        event("refresh", "The page reloads; the new page loads after `downtime`.", [
            eventPeer,
            .optional("downtime", .duration(.any), .value("\"500ms\""), "time until the new page loads"),
            .optional("clean", .boolean, .value("true"), "`false`: a crash and session restore"),
        ]),
        event("duplicateTab", "A second tab with a copy of sessionStorage (same uid).", [
            eventPeer,
            .required("as", .peerId, "names the new tab in reports and in later events"),
        ]),
        event("wsDrop", "Only the WebSocket breaks; the page reconnects after the delay.", [
            eventPeer,
            .optional("reconnectAfter", .duration(.any), .value("\"1s\""), "time until the page reconnects"),
        ]),
        event("leave", "The tab closes.", [eventPeer]),
        event("crash", "The host vanishes for good.", [eventPeer]),
        event("offline", "The host loses all connectivity for a while.", [
            eventPeer,
            .required("for", .duration(.positive), "how long"),
        ]),
        event("partition", "UDP between two hosts is blocked for a while.", [
            .required("between", .pair, "two peers on two different hosts"),
            .required("for", .duration(.positive), "how long"),
        ]),
        event("serverRestart", "The signaling server drops every socket and all state, back after `downtime`.", [
            .optional("downtime", .duration(.any), .value("\"1s\""), "time until the server is back"),
        ]),
        // `turnRelayAddresses` is top level only: the TURN server's addresses are fixed for the run.
        event("network", "Those network parameters change from this moment on; the others keep their values.",
              network.fields.filter { !["turnRelayAddresses", "uplink", "downlink"].contains($0.name) }.map { $0.with(default: .text("unchanged")) }),
    ]

    /// Every `do` value, in documentation order.
    static let eventKinds: [String] = events.map { $0.eventKind ?? "" }

    /// The table of events of kind `kind`, if it is one.
    static func event(_ kind: String) -> ScenarioTable? {
        events.first { $0.eventKind == kind }
    }

    /// Every table, in documentation order (the schema's `$defs` order).
    static let all: [ScenarioTable] = [top, policy, policyRedial, network, server, ice, machine, peer, group, joinSchedule, natObject]
        + events + [expect, flow]

    /// The table with this id (an `.object` reference), if there is one.
    static func table(_ id: String) -> ScenarioTable? {
        all.first { $0.id == id }
    }
}
