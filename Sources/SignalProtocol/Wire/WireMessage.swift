/// Why the signaling server refused a message. The raw value is the `code` on the wire.
public enum WireErrorCode: String, Sendable, CaseIterable {
    /// A message the server does not accept from a page (`init`, `online`, `offline`, `error`).
    case malformed
    /// The message's `v` is not `WireCodec.protocolVersion`.
    case unsupportedVersion
    /// A signal from a socket that has not said `hello`.
    case notRegistered
    /// A second `hello` on a socket that is already registered.
    case alreadyRegistered
    /// A signal to a uid that is not online.
    case unknownPeer
    /// A signal whose `to` is the sender's own uid.
    case signalToSelf
    /// Another socket said `hello` with this socket's uid and its reclaim secret; the newest socket
    /// wins and this one is closed.
    case uidReplaced
    /// A `hello` for a uid that is online or was recently, without the secret the server issued
    /// to that uid's first page: refused, the uid stays with its owner.
    case uidTaken
    /// A `hello` whose uid is empty or longer than `SignalingServer.maxUIDLength` characters.
    case invalidUid
    /// A frame larger than the server's per-message cap; the socket is closed.
    case messageTooLarge
    /// The socket sent more messages than its rate limit allows; the socket is closed.
    case rateLimited
}

/// One message on the signaling WebSocket, in either direction (DESIGN.md "In short").
///
/// A page says `hello`; the server answers `initial` (wire name `init`) and tells everyone else
/// `online`; when the page's socket goes away the others hear `offline`. Pages talk to each other
/// with `signal`, which the server relays after stamping `from` itself: a page cannot speak for
/// another uid.
public enum WireMessage: Hashable, Sendable {
    /// Page → server: the uid this page keeps in sessionStorage, and beside it the reclaim secret
    /// the server issued to the uid's first page (nil on a first visit).
    /// `instance` (protocol version 2): this page load's instance id, when the page's policy
    /// uses them (a fresh id per load, kept across WebSocket reconnects).
    case hello(uid: String, secret: String? = nil, instance: String? = nil)
    /// Server → page, wire name `init`: the page's uid, the uids online now in registration order,
    /// and the uid's reclaim secret, which the page keeps beside the uid in sessionStorage.
    /// `instances` (version 2): the instance id of each uid in `online`, in the same order (nil
    /// for a page that sent none); absent when no page sent one.
    case initial(you: String, online: [String], secret: String? = nil, instances: [String?]? = nil)
    /// Server → every other page: `uid` registered.
    /// `instance` (version 2): the page load's instance id, if it sent one.
    case online(uid: String, instance: String? = nil)
    /// Server → every other page: `uid`'s socket went away.
    case offline(uid: String)
    /// Page → server with `from == nil` (a `from` the page writes is ignored); server → page with
    /// `from` stamped with the sender's uid.
    ///
    /// Version 2: `toInstance`, written by the sender, is the page load of `to` the signal is
    /// meant for; `fromInstance` is stamped by the server with the sender's registered instance
    /// (one a page writes is ignored, as `from` is).
    case signal(from: String?, to: String, payload: SignalPayload, fromInstance: String? = nil, toInstance: String? = nil)
    /// Server → page: the server refused something; `peer` names the uid concerned, if any.
    case error(code: WireErrorCode, detail: String, peer: String?)

    /// The `type` field on the wire.
    public var typeName: String {
        switch self {
        case .hello: return "hello"
        case .initial: return "init"
        case .online: return "online"
        case .offline: return "offline"
        case .signal: return "signal"
        case .error: return "error"
        }
    }
}
