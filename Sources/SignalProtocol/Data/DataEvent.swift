/// What a connection's application traffic tells its page (`PCAction.data`): the events of
/// negotiated data channels, and what the sender gave up on.
public enum DataEvent: Sendable, Equatable {
    /// The channel on `stream` is `open` (the association is established).
    case open(stream: UInt16)
    /// The channel closed; `error`: the remote aborted (or the send buffer overflowed).
    case closed(stream: UInt16, error: Bool)
    /// A message arrived whole (`message` event).
    case message(stream: UInt16, DataMessage)
    /// Partial reliability gave the message up (RFC 3758); the receiver never sees it.
    case abandoned(stream: UInt16, DataMessage)
    /// `bufferedamountlow`.
    case bufferedAmountLow(stream: UInt16)
}
