import Foundation

/// A file a command writes besides stdout, named by the option that asked for it.
struct OutputFile {
    var option: String
    var path: String
}

/// Output paths are checked before anything runs or is written: a user who types
/// `scenario x.json --trace x.json` must get an error, not a scenario overwritten by its trace.
enum OutputFiles {
    /// Refuses an output that is an input file (by any path, symbolic or hard link: the same
    /// device and inode), that two options both name, that is a directory, or whose folder
    /// does not exist or cannot be written.
    static func check(_ outputs: [OutputFile], inputs: [String]) throws(UsageError) {
        var inputIDs: [(path: String, id: FileID)] = []
        for path in inputs {
            if let id = FileID(path) { inputIDs.append((path, id)) }
        }
        var seen: [(output: OutputFile, key: String)] = []
        for out in outputs {
            guard !out.path.isEmpty else { throw UsageError(message: "--\(out.option): expected a file name, got an empty one") }
            if let id = FileID(out.path) {
                if id.isDirectory {
                    throw UsageError(message: "--\(out.option) \(scenarioQuote(out.path)): is a directory; name a file")
                }
                if let input = inputIDs.first(where: { $0.id == id }) {
                    let same = input.path == out.path ? "" : " (the same file as \(scenarioQuote(input.path)))"
                    throw UsageError(message: "--\(out.option) \(scenarioQuote(out.path)): is an input file\(same); writing it would destroy it, so nothing was run or written")
                }
            }
            if FileID(out.path) == nil {
                // Found now rather than after a long run: the folder it would go into.
                let dir = URL(fileURLWithPath: out.path).deletingLastPathComponent().path
                guard let d = FileID(dir), d.isDirectory else {
                    throw UsageError(message: "--\(out.option) \(scenarioQuote(out.path)): no such directory \(scenarioQuote(dir))")
                }
                guard access(dir, W_OK) == 0 else {
                    throw UsageError(message: "--\(out.option) \(scenarioQuote(out.path)): cannot write into \(scenarioQuote(dir)): \(String(cString: strerror(errno)))")
                }
            }
            let key = identity(out.path)
            if let other = seen.first(where: { $0.key == key }) {
                throw UsageError(message: "--\(out.option) \(scenarioQuote(out.path)): --\(other.output.option) writes the same file; give each output its own file")
            }
            seen.append((out, key))
        }
    }

    /// A string naming the file `path` will write: its device and inode when it exists, else
    /// its directory's real path and its name.
    private static func identity(_ path: String) -> String {
        if let id = FileID(path) { return "\(id.device):\(id.inode)" }
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let real = realpath(dir, &buffer) != nil ? String(cString: buffer) : dir
        return real + "/" + url.lastPathComponent
    }

    /// Writes `text` to the output, or says why it could not (exit 2 at the caller).
    static func write(_ text: String, to out: OutputFile) throws(UsageError) {
        guard FileManager.default.createFile(atPath: out.path, contents: Data(text.utf8)) else {
            throw UsageError(message: "--\(out.option) \(scenarioQuote(out.path)): cannot write the file: \(String(cString: strerror(errno)))")
        }
    }
}

/// A file's identity as the kernel knows it (symbolic links followed).
struct FileID: Equatable {
    var device: UInt64
    var inode: UInt64
    var isDirectory: Bool

    init?(_ path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        isDirectory = (st.st_mode & S_IFMT) == S_IFDIR
    }

    static func == (a: FileID, b: FileID) -> Bool { a.device == b.device && a.inode == b.inode }
}
