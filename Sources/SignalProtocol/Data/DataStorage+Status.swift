extension DataStorage {
    /// A channel's state and `bufferedAmount`, what a page's script reads before each `send()`,
    /// without copying the channel (its label and its receive queue).
    public func channelStatus(stream: UInt16) -> (state: DataChannelState, bufferedAmount: Int)? {
        value.channelStatus(stream: stream)
    }
}

extension DataTransport {
    public func channelStatus(stream: UInt16) -> (state: DataChannelState, bufferedAmount: Int)? {
        for i in channels.indices where channels[i].stream == stream { return (channels[i].state, channels[i].bufferedAmount) }
        return nil
    }
}
