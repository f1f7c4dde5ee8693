/// The built-in presets as types, for Swift code that names one (`ScenarioRun(policy:
/// ResilientPolicy())`): each answers every hook from its `PolicySpec` preset, so the type and
/// the name run the same policy.
public protocol PresetPolicy: MeshPolicy {
    var spec: PolicySpec { get }
}

extension PresetPolicy {
    public var name: String { spec.name }
    public var summary: String { spec.summary }
    public func isConnected(_ link: MeshLink) -> Bool { spec.isConnected(link) }
    public func redialOnOnline(_ link: MeshLink) -> Bool { spec.redialOnOnline(link) }
    public func replaceOnInit(_ link: MeshLink) -> Bool { spec.replaceOnInit(link) }
    public var destroyOnChannelClose: Bool { spec.destroyOnChannelClose }
    public var destroyOnConnectionFailed: Bool { spec.destroyOnConnectionFailed }
    public var replaceLinkOnForeignOffer: Bool { spec.replaceLinkOnForeignOffer }
    public var acceptOfferWithoutLink: Bool { spec.acceptOfferWithoutLink }
    public var redial: RedialRule? { spec.redial }
    public var rejoinWithFreshUid: Bool { spec.rejoinWithFreshUid }
    public var rejoinAsNewPage: Bool { spec.rejoinAsNewPage }
    public var restartIceOnFailure: Bool { spec.restartIceOnFailure }
    public var iceRestartAfterDisconnected: Int64? { spec.iceRestartAfterDisconnected }
    public var usesInstanceIds: Bool { spec.usesInstanceIds }
    public var perfectNegotiation: Bool { spec.perfectNegotiation }
    public var teardownOnOffline: Bool { spec.teardownOnOffline }
}

/// `PolicySpec.seed` as a type.
public struct SeedPolicy: PresetPolicy {
    public init() {}
    public var spec: PolicySpec { .seed }
}

/// `PolicySpec.seedStrict` as a type.
public struct SeedStrictPolicy: PresetPolicy {
    public init() {}
    public var spec: PolicySpec { .seedStrict }
}

/// `PolicySpec.replace` as a type.
public struct ReplacePolicy: PresetPolicy {
    public init() {}
    public var spec: PolicySpec { .replace }
}

/// `PolicySpec.resilient` as a type.
public struct ResilientPolicy: PresetPolicy {
    public init() {}
    public var spec: PolicySpec { .resilient }
}

/// `PolicySpec.restartIce` as a type.
public struct RestartICEPolicy: PresetPolicy {
    public init() {}
    public var spec: PolicySpec { .restartIce }
}

/// `PolicySpec.keepLiveLinks` as a type.
public struct KeepLiveLinksPolicy: PresetPolicy {
    public init() {}
    public var spec: PolicySpec { .keepLiveLinks }
}
