import Foundation
import SignalProtocol
import Testing
@testable import MeshSimKit

/// `MeshSim fuzz`'s command line: `--out`, the files it writes and what it says about them
/// (QA findings of session 15; each test failed before its fix).
@Suite struct FuzzCommandTests {
    /// Every event kind: `--without` all of them draws runs with no events, which pass.
    static let noEvents = ScenarioAction.kindNames.joined(separator: ",")

    @Test func pathsAreSplitAndJoinedWithoutFoundation() {
        #expect(parentFolder("x") == "" && parentFolder("r/") == "" && parentFolder("Q//") == "")
        #expect(parentFolder("a/b") == "a" && parentFolder("c/d/e") == "c/d" && parentFolder("a//b/") == "a")
        #expect(parentFolder("/x") == "/" && parentFolder("/") == "/" && parentFolder("./Z") == ".")
        #expect(pathJoining("x", "f") == "x/f" && pathJoining("r/", "f") == "r/f" && pathJoining("Q//", "f") == "Q/f")
        #expect(pathJoining("/", "f") == "/f" && pathJoining("//", "f") == "/f")
    }

    /// `--out x` (a missing folder whose first missing component is one character) trapped in
    /// NSString's deletingLastPathComponent: SIGILL, exit 132.
    @Test(arguments: ["x", "a/b", "r/", "Q//", "c/d/e"])
    func aMissingOneCharacterFolderIsProbedWithoutACrash(out: String) throws {
        let dir = try CommandLineTests.scratch("fuzz-out-" + out.replacingOccurrences(of: "/", with: "_"))
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try ProcessTests.run(["fuzz", "--runs", "1", "--peers", "2-2", "--without", Self.noEvents, "--out", out], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        // Probed, then put back as it was: nothing failed, so nothing is left.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    /// `--out ""` passed the check and then no file could be written (exit 1).
    @Test func anEmptyOutIsRefusedUpFront() throws {
        let r = try ProcessTests.run(["fuzz", "--runs", "1", "--out", ""])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("--out"), "\(r.stderr)")
    }

    /// `'new\nline/f.json'` pastes as a backslash and an n; ANSI-C quoting gives the newline.
    @Test(arguments: ["new\nline/f.json", "tab\there", "it's\n$x", "esc\u{1B}[31m", "c1\u{85}x", "bidi\u{202E}x", "back\\slash\n", "plain", "a b"])
    func replayCommandsQuoteControlCharactersSoTheShellGivesThemBack(path: String) throws {
        let quoted = shellQuoted(path)
        #expect(oneLine(quoted) == quoted, "printed as it is: \(quoted)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", "printf %s " + quoted]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(data == Data(path.utf8), "\(quoted)")
    }
}
