/// What `MeshSim --help` and `MeshSim COMMAND --help` print (stdout, exit 0); the first line
/// of each is what a usage error repeats. docs/cli.md says the same at length.
enum Usage {
    /// `MeshSim --version`. Raised when the command line, the scenario format, the report or
    /// the trace grow (they only grow: docs/cli.md).
    static let version = "0.7.0"

    static let overview = """
    MeshSim \(version): a deterministic simulator of browser WebRTC full meshes

    usage: MeshSim scenario FILE... [--seed N] [--policy NAME|FILE] [--json] [--trace FILE] [--until DURATION]
                                    [--max-events N] [--junit FILE] [--perfetto FILE]
                                    [--html FILE] [--svg FILE] [--check-determinism]
           MeshSim validate FILE... [--json]
           MeshSim policies [--json]
           MeshSim compare FILE... --policies A,B,... --seeds LIST [--vary POLICYFIELD=V1,V2,...] [--jobs N] [--shard I/N] [--json]
                                   [--until DURATION] [--max-events N] [--junit FILE]
                                   [--html FILE] [--svg FILE]
           MeshSim fuzz [--policy P] [--runs N] [--seed S] [--jobs N] [--out DIR] [--peers MIN-MAX] [--json]
                        [--without KIND,...]
           MeshSim merge FILE... [--json]
           MeshSim bench kernel --pending N --events N [--json]
           MeshSim bench events FILE [--seed N] [--policy P] [--json]
           MeshSim schema
           MeshSim --version

    MeshSim COMMAND --help describes one command. Exit status: 0 every run finished and every
    expectation held; 1 an expectation failed or was not judged, or an invariant was violated;
    2 bad input or usage (one line per problem on stderr).
    """

    static let scenario = """
    usage: MeshSim scenario FILE... [--seed N] [--policy NAME|FILE] [--json] [--trace FILE] [--until DURATION]
                                    [--max-events N] [--junit FILE] [--perfetto FILE]
                                    [--html FILE] [--svg FILE] [--check-determinism]

    Runs each scenario file and prints its report (text, or one JSON object per run with --json).
      --seed N           the run's seed instead of the file's (0 to 18446744073709551615)
      --policy NAME|FILE the reconnect policy instead of the file's: a name (MeshSim policies lists
                         them) or a JSON policy object file (docs/policies.md)
      --json             one JSON report per run on stdout (JSON Lines), nothing else
      --trace FILE       every state change as JSON Lines (one scenario FILE only)
      --until DURATION   stop at this simulated time (at most the scenario's duration); the report
                         says the run stopped, and expectations about its end are not judged
      --max-events N     stop after N simulation events (default 200000000), as --until does
      --junit FILE       a JUnit XML file: a testsuite per scenario file, a testcase per run
      --perfetto FILE    the run as a Chrome trace (JSON) for ui.perfetto.dev or chrome://tracing:
                         a process per page, a track per connection state machine, signal arrows
                         (one scenario FILE only)
      --html FILE        one self-contained HTML page: per run its summary, expectations, stuck
                         pairs, convergence curve, peer x peer matrix and page timelines
      --svg FILE         the convergence curve (connected and expected pairs over time) as an SVG
                         image (one scenario FILE only)
      --check-determinism  run each scenario twice in this process and compare them event by
                         event (time, event, random draws, trace lines); a difference is an
                         invariant violation naming the first event where the runs part (exit 1)
    Output files must not be input files. Exit status: 0 all passed, 1 a run failed or was
    stopped before its end, 2 bad input.
    """

    static let validate = """
    usage: MeshSim validate FILE... [--json]

    Checks every file (all of them, even after a bad one) and runs nothing. Prints one line per
    good file, and one line per problem on stderr (FILE: JSON.path: message).
      --json   one JSON object per file on stdout: {"file", "ok", "peers", "events", "policy", "problems"}
    Exit status: 0 every file is valid, 2 any is not.
    """

    static let policies = """
    usage: MeshSim policies [--json]

    Lists the built-in reconnect policies, one line each (docs/policies.md explains them).
      --json   each policy's object instead, one per line: save one as a file, edit it, and give
               it to --policy FILE or compare --policies
    """

    static let compare = """
    usage: MeshSim compare FILE... --policies A,B,... --seeds LIST [--vary POLICYFIELD=V1,V2,...]
                                   [--jobs N] [--shard I/N] [--json] [--until DURATION] [--max-events N] [--junit FILE]
                                   [--html FILE] [--svg FILE]

    Runs every scenario under every policy and seed, and prints a table per scenario: runs that
    passed, runs that converged, convergence time percentiles, signaling cost.
      --policies A,B,...  policy names (MeshSim policies lists them) or policy object files
      --vary POLICYFIELD=V,...
                          run each policy with each value of a policy field (redial.initial=500ms,2s);
                          repeatable: every combination, named resilient{redial.initial=500ms,...}
      --seeds LIST        seeds and ranges, comma-separated: 1-100, or 1,5,9, or 1-10,20,30-35
      --jobs N            runs in parallel (1 to 256; the output is the same whatever N is)
      --shard I/N         only every N-th run, starting with the I-th (to split a sweep across machines)
      --json              one JSON report per run on stdout (each with passed and convergenceMs);
                          the table goes to stderr
      --until, --max-events, --junit   as on scenario
      --html FILE         one HTML page: per scenario file the table, convergence time and signaling
                          per policy (every run a dot), and the curve of the first seed per policy
      --svg FILE          the convergence curve of the first seed of each policy, one line per
                          policy (one scenario FILE only)
    Exit status: 0 every run passed, 1 any failed, 2 bad input.
    """

    static let fuzz = """
    usage: MeshSim fuzz [--policy P] [--runs N] [--seed S] [--jobs N] [--out DIR] [--peers MIN-MAX] [--json]
                        [--without KIND,...]

    Draws N random scenarios (peers and groups, NATs, LANs, udp false, STUN and TURN, latency,
    jitter, loss, joins, machines, and every event kind), each ending in a healed, quiet minute
    (longer when the policy's own timers are), runs each twice under the policy (the second run checks determinism) and fails a run on an
    invariant violation or on a pair of live peers left unconnected that the network lets
    connect. The first run of each distinct failure is shrunk to a smallest scenario that still
    fails the same way, written to DIR with the command that replays it.
      --policy P       the reconnect policy: a name (default seed; MeshSim policies lists them)
                   or a policy file, whose object each written scenario carries
      --runs N         how many scenarios (default 100); results stream, millions are fine
      --seed S         the session's seed (default 1): run i's scenario depends on (S, i) only
      --jobs N         runs in parallel (1 to 256; the output is the same whatever N is)
      --out DIR        where shrunk scenarios go (default fuzz-out; created; not empty: --out .
                       is the current directory; an existing file with other contents is never
                       overwritten)
      --peers MIN-MAX  peers per scenario (default 2-8; 2 <= MIN <= MAX <= 100)
      --without KIND,...  never draw these event kinds (e.g. duplicateTab, to look past its
                       known holes)
      --json           one JSON object per run on stdout: run, seed, peers (a count), passed,
                       failures, and the shrunk files of failures first seen in it
    The runs/s rate goes to stderr. Exit status: 0 no run failed, 1 some did, 2 bad arguments.
    """

    static let merge = """
    usage: MeshSim merge FILE... [--json]

    Reads the JSON lines of compare --shard I/N --json runs (every shard, in any order; docs/sweeps.md)
    and prints what the unsharded compare prints, byte for byte: the table, or with --json the
    runs' lines in the sweep's order on stdout and the table on stderr.
      --json   the runs' JSON lines on stdout, the table on stderr (as compare --json)
    Exit status: 0 every run passed, 1 any failed, 2 unreadable input or a run missing or doubled.
    """

    static let bench = """
    usage: MeshSim bench kernel --pending N --events N [--json]
           MeshSim bench events FILE [--seed N] [--policy P] [--json]

    kernel: times the event queue on ns-3's hold model: N pending events, N events executed.
    events: runs FILE and counts its events by kind, per pair and per RTCPeerConnection (timer
    events that only re-armed, datagrams by what they carry): counts, not times.
    """

    static let schema = """
    usage: MeshSim schema

    Prints the JSON Schema (draft 2020-12) of scenario files, built from the same table of fields
    the file check uses; docs/scenario.schema.json is its output. Editors find it through a
    scenario's "$schema" field. The schema checks each value on its own (types, unknown and
    required fields, durations, ranges, names); validate also checks how values relate (unique
    ids, peers that exist, times before the run's end).
    """

    /// The help text of a command, if it is one.
    static func of(_ command: String) -> String? {
        switch command {
        case "scenario": return scenario
        case "validate": return validate
        case "policies": return policies
        case "compare": return compare
        case "fuzz": return fuzz
        case "merge": return merge
        case "bench": return bench
        case "schema": return schema
        default: return nil
        }
    }
}
