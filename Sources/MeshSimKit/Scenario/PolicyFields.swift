// The fields of a policy object: a scenario's `policy` written as an object, a `--policy FILE`,
// a line of `MeshSim policies --json`. One row per decision of the mesh manager
// (SignalProtocol's PolicySpec); a field left out keeps the `seed` policy's value.

import SignalProtocol

extension ScenarioFormat {
    static let policy = ScenarioTable(id: "policy", title: "policy object", meaning: "A reconnect policy as data: every decision the page's mesh manager makes. A field left out keeps the seed policy's value.", fields: [
        .optional("name", .string(nonEmpty: true), .text("the file's name without `.json`; `\"custom\"` inside a scenario"),
                  "the policy's name in reports and compare tables"),
        .optional("summary", .string(nonEmpty: false), .value("\"\""), "one line for people"),
        .optional("connected", .names(PolicySpec.Connected.allCases.map(\.rawValue), noun: "reading of connected"), .value("\"channelOpen\""),
                  "what strategy 1's \"connected\" means: the data channel is open, `connectionState` is `connected`, or both"),
        .optional("onInit", .names(PolicySpec.InitRule.allCases.map(\.rawValue), noun: "init rule"), .value("\"passiveIfNotConnected\""),
                  "`init` lists an id this page has a live link to (its WebSocket came back): keep the link if connected (and, with `...OrNewPageLoad`, the same page load), else tear it down and wait for an offer; `passiveIfDownOrNewPageLoad` keeps a link to the same page load while its connection is connected or only disconnected"),
        .optional("onOnline", .names(PolicySpec.OnlineRule.allCases.map(\.rawValue), noun: "online rule"), .value("\"dialIfNotConnected\""),
                  "`online` for an id this page has a live link to: strategy 1 (dial if not connected), always dial, or dial if not connected or the remote page load changed"),
        .optional("teardownOnChannelClose", .boolean, .value("true"), "close the link when its data channel closes (simple-peer)"),
        .optional("onFailed", .names(PolicySpec.FailedRule.allCases.map(\.rawValue), noun: "failure rule"), .value("\"teardown\""),
                  "a connection reaches `failed`: keep it, tear the link down (then `redial`), or the dialer restarts ICE"),
        .optional("iceRestartAfterDisconnected", .either([.null, .duration(.positive)]), .value("null"),
                  "a connection `disconnected` this long is repaired by its dialer with an ICE restart, before `failed`"),
        .optional("replaceOnForeignOffer", .boolean, .value("false"),
                  "an offer from another remote connection than the link's replaces the link by a passive one"),
        .optional("acceptOffersWithoutLink", .boolean, .value("false"), "an offer from an id with no live link makes a passive link"),
        .optional("redial", .either([.null, .object("policyRedial")]), .value("null"),
                  "re-dial a link torn down after a failure or a closed channel while the peer is online"),
        .optional("instanceIds", .boolean, .value("false"),
                  "a per-page-load instance id in `hello`, `init`, `online` and every signal; signals from or for another page load are dropped"),
        .optional("glare", .names(PolicySpec.GlareRule.allCases.map(\.rawValue), noun: "glare rule"), .value("\"none\""),
                  "offers that cross: nothing special, or W3C perfect negotiation (the larger uid is polite)"),
        .optional("uidTaken", .names(PolicySpec.UidTakenRule.allCases.map(\.rawValue), noun: "uid rule"), .value("\"stayOff\""),
                  "the server gave this tab's uid to another tab: stay off signaling, rejoin as `uid~N`, or rejoin as `uid~N` after closing every link"),
        .optional("teardownOnOffline", .boolean, .value("false"), "close the link to an id the server says went `offline`"),
    ])

    static let policyRedial = ScenarioTable(id: "policyRedial", title: "policy redial", meaning: "Who re-dials a torn-down link and when: attempt n waits min(cap, initial × factor^(n−1)), stretched by a random factor from [1 − jitter, 1 + jitter].", fields: [
        .optional("dialer", .names(RedialRule.Dialer.allCases.map(\.rawValue), noun: "dialer"), .value("\"smallerUid\""),
                  "which side of the pair dials again (`both`: offers may cross)"),
        .optional("initial", .duration(.positive), .value("\"1s\""), "the wait before the first attempt"),
        .optional("factor", .number(min: 1, max: 100), .value("2"), "each attempt waits this many times longer"),
        .optional("cap", .duration(.positive), .value("\"8s\""), "no wait is longer before jitter stretches it (by up to ± jitter)"),
        .optional("jitter", .number(min: 0, max: 1), .value("0"), "spread of the random stretch, from the run's generator"),
    ], shape: "{\"dialer\": D, \"initial\": D, ...}")
}
