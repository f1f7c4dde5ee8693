/// One problem found in a scenario file: where and what.
struct ScenarioProblem: Equatable, CustomStringConvertible {
    var file: String
    /// JSON path of the offending value, e.g. `events[3].at`, `peers[0].nat.mapping`;
    /// empty for problems with the file as a whole (unreadable, not JSON, too large).
    var path: String
    var message: String

    init(file: String, path: String, message: String) {
        self.file = file
        self.path = path
        self.message = message
    }

    /// `FILE: PATH: message`, or `FILE: message` when the path is empty. Always one line:
    /// whatever the file name or an echoed value holds is escaped (`oneLine`).
    var description: String {
        oneLine(path.isEmpty ? "\(file): \(message)" : "\(file): \(path): \(message)")
    }
}

/// Every problem found in a scenario file, in file order.
struct ScenarioErrors: Error, CustomStringConvertible {
    var problems: [ScenarioProblem]

    init(problems: [ScenarioProblem]) {
        self.problems = problems
    }

    /// One line per problem.
    var description: String {
        problems.map { $0.description }.joined(separator: "\n")
    }
}
