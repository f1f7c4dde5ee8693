/// JUnit XML for CI dashboards (`--junit FILE` on `scenario` and `compare`): one `testsuite`
/// per scenario file, one `testcase` per run named by file, seed and policy, and a failed
/// expectation, an expectation a stopped run could not judge, or an invariant violation as
/// its `failure`.
///
/// Text goes through `Markup.escape` (one line, markup as entities, controls as `\uXXXX`);
/// a failure's lines and the text report keep their line breaks (`Markup.escapeLines`).
///
/// The layout is the one Jenkins, GitLab and GitHub's test reporters read (scripts/junit.xsd
/// checks it, with xmllint, in scripts/check-junit.sh). `time` is the simulated duration in
/// seconds, not wall time, so the file is the same bytes for the same runs, like every other
/// MeshSim output.
struct JUnitReport {
    /// One run, reduced to what the XML shows.
    struct Case {
        var file: String
        var scenario: String
        var seed: UInt64
        var policy: String
        var simulatedNs: Int64
        /// Failed expectations and violations, one line each; empty when the run passed.
        var failures: [String]
        /// The first failure's kind: `expectation`, `notJudged` or `invariant`.
        var failureType: String
        /// The text report of a failed run (empty for a passed one).
        var output: String

        init(_ r: RunReport) {
            file = r.file
            scenario = r.scenario
            seed = r.seed
            policy = r.policy
            simulatedNs = r.simulatedNs
            // A judged failure first, then a broken invariant (an exhausted `--max-events` budget
            // is one, as the text and HTML say FAIL for it), then expectations not judged: the
            // message leads with what decided the verdict, whatever the expectations' order.
            let judged = r.expectations.filter { !$0.ok && $0.judged }.map { "\($0.name): \($0.detail)" }
            let unjudged = r.expectations.filter { !$0.ok && !$0.judged }.map { "\($0.name): \($0.detail)" }
            let broken = r.violations.map { "invariant violated: \($0)" }
            failures = judged + broken + unjudged
            if !judged.isEmpty {
                failureType = "expectation"
            } else if !broken.isEmpty || unjudged.isEmpty {
                failureType = "invariant"
            } else {
                failureType = "notJudged"
            }
            output = r.passed ? "" : r.text
        }
    }

    var cases: [Case]

    /// The XML document. Suites in the order their files first appear; cases in run order.
    var xml: String {
        var files: [String] = []
        for c in cases where !files.contains(c.file) { files.append(c.file) }
        let failed = cases.filter { !$0.failures.isEmpty }.count
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"MeshSim\" tests=\"\(cases.count)\" failures=\"\(failed)\" errors=\"0\" time=\"\(seconds(cases.map(\.simulatedNs)))\">\n"
        for file in files {
            let mine = cases.filter { $0.file == file }
            let suiteFailed = mine.filter { !$0.failures.isEmpty }.count
            out += "  <testsuite name=\"\(Markup.escape(file))\" tests=\"\(mine.count)\" failures=\"\(suiteFailed)\" errors=\"0\" skipped=\"0\" time=\"\(seconds(mine.map(\.simulatedNs)))\">\n"
            out += "    <properties>\n      <property name=\"scenario\" value=\"\(Markup.escape(mine[0].scenario))\"/>\n    </properties>\n"
            var seen: [String: Int] = [:]  // lookup only: how often a name came so far
            for c in mine {
                var name = "\(c.file) seed \(c.seed) policy \(c.policy)"
                // The same file given twice: CI tools key cases by name and merged the two.
                let n = (seen[name] ?? 0) + 1
                seen[name] = n
                if n > 1 { name += " (run \(n))" }
                let open = "    <testcase name=\"\(Markup.escape(name))\" classname=\"\(Markup.escape(c.file))\" time=\"\(seconds([c.simulatedNs]))\""
                guard let first = c.failures.first else {
                    out += open + "/>\n"
                    continue
                }
                let more = c.failures.count > 1 ? " (and \(c.failures.count - 1) more)" : ""
                out += open + ">\n"
                out += "      <failure message=\"\(Markup.escape(first + more))\" type=\"\(c.failureType)\">\(Markup.escapeLines(c.failures.joined(separator: "\n")))</failure>\n"
                out += "      <system-out>\(Markup.escapeLines(c.output))</system-out>\n"
                out += "    </testcase>\n"
            }
            out += "  </testsuite>\n"
        }
        out += "</testsuites>\n"
        return out
    }

    /// Each run's time to the nearest millisecond, and a suite's the sum of its cases' as
    /// printed: a dashboard that totals the cases gets the suite's figure.
    private func seconds(_ ns: [Int64]) -> String {
        let ms = ns.reduce(Int64(0)) { $0 + ($1 + 500_000) / 1_000_000 }
        return "\(ms / 1000).\(String(repeating: "0", count: 3 - String(ms % 1000).count))\(ms % 1000)"
    }
}
