/// Why a run ended before the end of its scenario: `--until` asked for an earlier end, or the
/// event budget (`--max-events`) ran out. Expectations about the end of the run are then not
/// judged, and the report says so (docs/cli.md, "Stopping a run early").
enum RunStop {
    case until
    case eventBudget

    /// The report's `stopped.by` value.
    var code: String {
        switch self {
        case .until: return "until"
        case .eventBudget: return "maxEvents"
        }
    }

    /// What stopped it, for prose.
    var words: String {
        switch self {
        case .until: return "--until"
        case .eventBudget: return "the event budget (--max-events)"
        }
    }
}

extension Simulation {
    /// Why this run stopped before the scenario's `duration`, if it did.
    var stoppedEarly: RunStop? {
        if budgetExhausted { return .eventBudget }
        return endTime < scenario.duration ? .until : nil
    }
}
