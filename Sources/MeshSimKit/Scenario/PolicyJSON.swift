import SignalProtocol

/// A policy as the JSON object of docs/policies.md: every field, in the table's order, so that
/// the object read back (`--policy FILE`) is the same policy.
enum PolicyJSON {
    static func object(_ p: PolicySpec) -> JSONValue {
        var entries: [(key: String, value: JSONValue)] = [
            ("name", .string(p.name)),
            ("summary", .string(p.summary)),
            ("connected", .string(p.connected.rawValue)),
            ("onInit", .string(p.onInit.rawValue)),
            ("onOnline", .string(p.onOnline.rawValue)),
            ("teardownOnChannelClose", .bool(p.teardownOnChannelClose)),
            ("onFailed", .string(p.onFailed.rawValue)),
            ("iceRestartAfterDisconnected", p.iceRestartAfterDisconnectedNs.map { .string(DurationText.format($0)) } ?? .null),
            ("replaceOnForeignOffer", .bool(p.replaceOnForeignOffer)),
            ("acceptOffersWithoutLink", .bool(p.acceptOffersWithoutLink)),
        ]
        if let r = p.redialRule {
            entries.append(("redial", .object(JSONObject([
                ("dialer", .string(r.dialer.rawValue)),
                ("initial", .string(DurationText.format(r.initial))),
                ("factor", JSONValue(r.factor)),
                ("cap", .string(DurationText.format(r.cap))),
                ("jitter", JSONValue(r.jitter)),
            ]))))
        } else {
            entries.append(("redial", .null))
        }
        entries += [
            ("instanceIds", .bool(p.instanceIds)),
            ("glare", .string(p.glare.rawValue)),
            ("uidTaken", .string(p.uidTaken.rawValue)),
            ("teardownOnOffline", .bool(p.teardownOnOfflineEvent)),
        ]
        return .object(JSONObject(entries))
    }

    /// One line of compact JSON.
    static func line(_ p: PolicySpec) -> String {
        JSONWriter.write(object(p))
    }
}
