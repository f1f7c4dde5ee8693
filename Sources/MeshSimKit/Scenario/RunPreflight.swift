import SignalProtocol

/// What is checked between loading a scenario and running it, the same for the command line
/// and for `ScenarioRun`: that the machine can hold it (`ResourceCheck`), that its policy is
/// known (unless one is given), and that a requested early stop lies within the run.
enum RunPreflight {
    /// The policy to run with, or every problem found. `untilOption` names the stop in
    /// messages (`--until` on the command line).
    static func check(_ scenario: Scenario, policy override: (any MeshPolicy)?, until: Int64?,
                      untilOption: String = "--until") -> Result<any MeshPolicy, ScenarioErrors> {
        var problems = ResourceCheck.problems(in: scenario)
        if let until, until < 0 || until > scenario.duration {
            problems.append(ScenarioProblem(file: scenario.file, path: "duration", message:
                "\(untilOption) \(DurationText.format(until)) is past the scenario's duration (\(DurationText.format(scenario.duration))); give \(untilOption) at most the duration"))
        }
        let policy = override ?? scenario.policyObject ?? Policies.named(scenario.policy)
        if policy == nil {
            problems.append(ScenarioProblem(file: scenario.file, path: "policy",
                message: "unknown policy \(scenarioQuote(scenario.policy)) (known: \(Policies.all.map(\.name).joined(separator: ", ")))"))
        }
        guard problems.isEmpty, let policy else { return .failure(ScenarioErrors(problems: problems)) }
        return .success(policy)
    }
}
