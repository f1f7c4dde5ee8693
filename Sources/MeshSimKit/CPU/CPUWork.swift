import SignalProtocol

/// Every piece of browser work the model charges to a CPU: the thread Chromium runs it on and
/// its cost, in nanoseconds of work on one core of the calibration machine (speed 1).
///
/// Where the costs come from (docs/model.md, "CPU", has the derivation): the per-segment times
/// of the 2-peer recordings (docs/calibration/chromium, experiment 1), where each page has one
/// connection and nothing competes, so a segment is the sum of the work on its path. The growth
/// with more pages (experiment 2, docs/fidelity.md) is not fitted: it follows from the same
/// costs competing for threads and cores.
enum CPUWork: UInt8, CaseIterable {
    // The renderer's main thread: the page's script.
    /// Navigation to the script opening its WebSocket (a load or a reload's new page).
    case pageLoad
    /// A closed tab going away: its unload handlers and the tab's teardown, before its
    /// WebSocket and its connections are closed.
    case pageUnload
    /// A reloaded document going away once the new one commits (`pagehide`, detaching it),
    /// before its WebSocket and its connections are closed.
    case documentUnload
    /// A WebSocket message reaching the script: the `message` event, `JSON.parse`, the handler.
    case webSocketMessage
    /// A WebSocket `close` reaching the script.
    case webSocketClose
    /// One RTCPeerConnection event (or a settled promise) dispatched to the script.
    case eventDispatch
    /// `ws.send(JSON.stringify(...))` of one message.
    case sendMessage
    /// `new RTCPeerConnection(...)`: a blocking call into the signaling thread.
    case createPeerConnection
    /// `createDataChannel`: a blocking call into the signaling thread.
    case createDataChannel
    /// `pc.close()`: a blocking call into the signaling thread that tears the transports down.
    case closePeerConnection

    // The signaling thread: JSEP, serialised over every connection of the page.
    case createOffer
    case createAnswer
    case setLocalOffer
    case setLocalAnswer
    case setRemoteOffer
    case setRemoteAnswer
    case addIceCandidate
    /// A `connectionState` change passing through the signaling thread on its way to the
    /// script: libwebrtc's PeerConnection sets the standardized state there.
    case connectionStateUpdate

    // The network thread: every packet of every connection of the page.
    /// A STUN or TURN message received (check, response, allocation) and what it sends back.
    case stunPacket
    /// A connection's timer: pacing a check, a retransmission.
    case timer
    /// DTLS flight 1 received by the server: ECDHE key generation, the signed ServerKeyExchange.
    case dtlsServerHello
    /// DTLS flight 2 received by the client: certificate and signature checks, its own key
    /// exchange, CertificateVerify and Finished.
    case dtlsClientKeyExchange
    /// DTLS flight 3 received by the server: the client's certificate and signature checks,
    /// key derivation, Finished.
    case dtlsServerFinished
    /// DTLS flight 4 received by the client: Finished checked.
    case dtlsClientFinished
    /// An SCTP packet (handshake chunk, DATA, SACK, ABORT).
    case sctpPacket
    /// A copy of a DTLS flight already handled (a retransmission): answered with the flight
    /// already built, or ignored, without the crypto (`Association.receivingFlightDoesHandshakeWork`).
    case dtlsRepeatedFlight

    // Application traffic (scenario `traffic`), on the main thread.
    /// `RTCDataChannel.send` of one message.
    case dataSend
    /// A data channel `message` event dispatched to the script.
    case dataMessage

    var thread: BrowserThread {
        switch self {
        case .pageLoad, .pageUnload, .documentUnload, .webSocketMessage, .webSocketClose, .eventDispatch, .sendMessage,
             .createPeerConnection, .createDataChannel, .closePeerConnection, .dataSend, .dataMessage:
            return .main
        case .createOffer, .createAnswer, .setLocalOffer, .setLocalAnswer, .setRemoteOffer, .setRemoteAnswer,
             .addIceCandidate, .connectionStateUpdate:
            return .signaling
        case .stunPacket, .timer, .dtlsServerHello, .dtlsClientKeyExchange, .dtlsServerFinished,
             .dtlsClientFinished, .sctpPacket, .dtlsRepeatedFlight:
            return .network
        }
    }

    /// Nanoseconds of work at speed 1, once the page has done this kind of work before (see
    /// `firstTimeCost`). Sources: docs/model.md, "CPU", table of costs.
    var cost: Int64 {
        switch self {
        case .pageLoad: return 20_000_000
        case .pageUnload: return 25_000_000
        case .documentUnload: return 2_000_000
        case .webSocketMessage: return 750_000
        case .webSocketClose: return 400_000
        case .eventDispatch: return 150_000
        case .sendMessage: return 450_000
        case .createPeerConnection: return 2_500_000
        case .createDataChannel: return 1_000_000
        case .closePeerConnection: return 2_000_000
        case .createOffer: return 900_000
        case .createAnswer: return 900_000
        case .setLocalOffer: return 1_500_000
        case .setLocalAnswer: return 1_200_000
        case .setRemoteOffer: return 1_500_000
        case .setRemoteAnswer: return 1_200_000
        case .addIceCandidate: return 450_000
        case .connectionStateUpdate: return 100_000
        case .stunPacket: return 30_000
        case .timer: return 20_000
        case .dtlsServerHello: return 500_000
        case .dtlsClientKeyExchange: return 800_000
        case .dtlsServerFinished: return 500_000
        case .dtlsClientFinished: return 100_000
        case .sctpPacket: return 50_000
        case .dtlsRepeatedFlight: return 50_000
        case .dataSend: return 20_000
        case .dataMessage: return 50_000
        }
    }

    /// Extra work the first time a page does this kind of work: the first
    /// `new RTCPeerConnection` of a document creates its PeerConnectionFactory (threads,
    /// network list, certificate); the first run of each JSEP operation compiles its script
    /// paths and initialises what libwebrtc creates lazily. In the 2-peer recordings every
    /// operation is a first one and takes 4–8 ms; the tenth page's ninth answer takes about 1 ms
    /// per operation (docs/model.md, "CPU").
    var firstTimeCost: Int64 {
        switch self {
        case .createPeerConnection: return 1_500_000
        case .createOffer, .createAnswer, .setLocalOffer, .setLocalAnswer, .setRemoteOffer, .setRemoteAnswer:
            return 800_000
        case .dtlsServerHello, .dtlsClientKeyExchange, .dtlsServerFinished, .dtlsClientFinished: return 300_000
        default: return 0
        }
    }

    /// The part of the work's time that is CPU, in tenths; the rest is the thread waiting, held
    /// but using no core. A JSEP operation on libwebrtc's signaling thread mostly waits: for
    /// blocking calls into the network thread (transports, candidates), and between thread
    /// hops. Chromium's signaling thread used 0.02–0.09 s of CPU in a 12-tab storm where the
    /// operations took about 0.6 s and 0.14–0.19 s in a 16-tab storm where they took about 1.2 s
    /// (docs/fidelity.md, "CPU per Chromium thread"): a tenth.
    var cpuTenths: Int64 {
        switch self {
        case .createOffer, .createAnswer, .setLocalOffer, .setLocalAnswer, .setRemoteOffer, .setRemoteAnswer,
             .addIceCandidate:
            return 1
        default: return 10
        }
    }

    /// Network-thread work: short tasks on a thread that is mostly asleep. CFS runs such a
    /// thread at once when it wakes (it has used far less CPU than the busy ones), so a packet
    /// does not wait for the JSEP and script tasks on the cores (`MachineScheduler.run`,
    /// `preempts`).
    var preempts: Bool { thread == .network }

    /// Whether the cost varies from one time to the next (drawn from the run's generator):
    /// everything but the per-packet work, whose spread would change no order that matters and
    /// would cost a random draw per packet.
    var varies: Bool {
        switch self {
        case .stunPacket, .timer, .sctpPacket, .dtlsRepeatedFlight, .dataSend, .dataMessage: return false
        default: return true
        }
    }

    /// The DTLS flight whose first copy this work handles, if it is one (`packet`).
    var dtlsFlight: UInt8? {
        switch self {
        case .dtlsServerHello: return 1
        case .dtlsClientKeyExchange: return 2
        case .dtlsServerFinished: return 3
        case .dtlsClientFinished: return 4
        default: return nil
        }
    }

    /// The chained operation `op`'s work.
    static func operation(_ op: PCOperation, remoteDescription: Bool) -> CPUWork {
        switch op {
        case .createOffer: return .createOffer
        case .createAnswer: return .createAnswer
        case .setLocalDescription(let d):
            if let d { return d.type == .offer ? .setLocalOffer : .setLocalAnswer }
            return remoteDescription ? .setLocalAnswer : .setLocalOffer
        case .setRemoteDescription(let d): return d.type == .offer ? .setRemoteOffer : .setRemoteAnswer
        case .addIceCandidate: return .addIceCandidate
        }
    }

    /// The network thread's work for a packet received from the network.
    static func packet(_ packet: PeerPacket) -> CPUWork {
        switch packet {
        case .turn(.dataIndication(_, let data)): return CPUWork.packet(data.packet)
        case .stun, .turn: return .stunPacket
        case .dtls(let flight):
            switch flight.number {
            case 1: return .dtlsServerHello
            case 2: return .dtlsClientKeyExchange
            case 3: return .dtlsServerFinished
            default: return .dtlsClientFinished
            }
        case .sctp: return .sctpPacket
        }
    }
}
