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
            // `-` is standard output to many tools, and `-x` looks like an option: either would
            // silently become a file of that name in the working directory (QA, session 14).
            if out.path == "-" {
                throw UsageError(message: "--\(out.option) \"-\": MeshSim writes no output to standard output this way; name a file, or /dev/stdout")
            }
            if out.path.hasPrefix("-") {
                throw UsageError(message: "--\(out.option) \(scenarioQuote(out.path)): a file whose name starts with - is written ./\(oneLine(out.path))")
            }
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
                // Found now rather than after a long run: the folder it would go into (for a
                // symbolic link to a file not made yet, the folder of the file it names).
                let dir = URL(fileURLWithPath: linkTarget(out.path)).deletingLastPathComponent().path
                guard let d = FileID(dir), d.isDirectory else {
                    throw UsageError(message: "--\(out.option) \(scenarioQuote(out.path)): no such directory \(scenarioQuote(dir))")
                }
                guard access(dir, W_OK) == 0 else {
                    throw UsageError(message: "--\(out.option) \(scenarioQuote(out.path)): cannot write into \(scenarioQuote(dir)): \(String(cString: strerror(errno)))")
                }
            }
            try probe(out)
            // Two outputs into one regular file would leave one of them; into a device
            // (`--trace /dev/null --html /dev/null`) both are written.
            var st = stat()
            if stat(out.path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR { continue }
            // Written through the open descriptor one after the other, like two devices.
            if openDescriptor(out.path) != nil { continue }
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
        let url = URL(fileURLWithPath: linkTarget(path))
        let dir = url.deletingLastPathComponent().path
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let real = realpath(dir, &buffer) != nil ? String(cString: buffer) : dir
        return real + "/" + url.lastPathComponent
    }

    /// Whether the output can be opened for writing, found before anything runs (a folder
    /// `access` calls writable can still refuse a new file, as `/proc` does). Changes nothing: a
    /// new file is created and removed again, an existing one opened without truncating. A
    /// pipe is not opened (that would wait for its reader).
    private static func probe(_ out: OutputFile) throws(UsageError) {
        var st = stat()
        let exists = stat(out.path, &st) == 0
        if exists && (st.st_mode & S_IFMT) == S_IFIFO { return }
        // A link to a file not made yet: the file it names is probed (O_EXCL refuses the link).
        let path = exists ? out.path : linkTarget(out.path)
        let fd = exists ? open(path, O_WRONLY | O_NONBLOCK) : open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            throw UsageError(message: "--\(out.option) \(scenarioQuote(out.path)): cannot write the file: \(String(cString: strerror(errno)))")
        }
        close(fd)
        if !exists { unlink(path) }
    }

    /// The path a symbolic link finally names, followed even when that file does not exist yet
    /// (`latest.xml -> run-42.xml`): written through, the link stays. Any other path as it is.
    static func linkTarget(_ path: String) -> String {
        var current = path
        for _ in 0..<40 {
            var st = stat()
            guard lstat(current, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &buffer, Int(PATH_MAX))
            guard n > 0 else { return current }
            let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = target.hasPrefix("/") ? target
                : URL(fileURLWithPath: current).deletingLastPathComponent().appendingPathComponent(target).path
        }
        return current
    }

    /// Writes `text` to the output, or says why it could not (exit 2 at the caller).
    static func write(_ text: String, to out: OutputFile) throws(UsageError) {
        try write(Data(text.utf8), to: out)
    }

    /// Writes `data` to the output, or says why it could not (exit 2 at the caller). A regular
    /// file (or a new one) is replaced whole, through a symbolic link to the file it names, so
    /// a failed write leaves the old file; a device, a pipe or a socket (`/dev/null`,
    /// `/dev/stdout`, a shell's `>(...)`) is written in place and never replaced by a file.
    static func write(_ data: Data, to out: OutputFile) throws(UsageError) {
        func failure(_ what: String) -> UsageError {
            UsageError(message: "--\(out.option) \(scenarioQuote(out.path)): \(what): \(String(cString: strerror(errno)))")
        }
        // `/dev/stdout` redirected to a file (`>> ci.log`) is that file: renamed over, it would
        // lose what was there and what this run printed; written through the open descriptor,
        // it is appended to like any Unix tool's output (QA, session 15).
        if let fd = openDescriptor(out.path) {
            fflush(fd == 2 ? stderr : stdout)
            guard writeAll(data, to: fd) else { throw failure("cannot write it") }
            return
        }
        var st = stat()
        if stat(out.path, &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG {
            let fd = open(out.path, O_WRONLY | O_TRUNC)
            guard fd >= 0 else { throw failure("cannot open it for writing") }
            defer { close(fd) }
            guard writeAll(data, to: fd) else { throw failure("cannot write it") }
            return
        }
        // The file a symbolic link names is the one replaced; the link stays.
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let target = realpath(out.path, &buffer) != nil ? String(cString: buffer) : linkTarget(out.path)
        var template = Array((target + ".meshsim-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw failure("cannot write the file") }
        let temporary = String(cString: template)
        // An existing file keeps its mode; a new one gets what `creat` would give it.
        let mask = umask(0)
        umask(mask)
        let mode = stat(target, &st) == 0 ? st.st_mode & 0o7777 : 0o666 & ~mask
        fchmod(fd, mode)
        let written = writeAll(data, to: fd)
        let closed = close(fd) == 0
        guard written, closed, rename(temporary, target) == 0 else {
            let error = failure("cannot write the file")
            unlink(temporary)
            throw error
        }
    }

    /// The descriptor of this process a path names (`/dev/stdout`, `/dev/stderr`, `/dev/fd/N`,
    /// `/proc/self/fd/N`, `/proc/PID/fd/N` with this process's PID, or a symbolic link to one of
    /// them), if it is open: such a path is written through the descriptor, never reopened
    /// (which would truncate a file opened for appending) nor replaced.
    static func openDescriptor(_ path: String) -> Int32? {
        var current = path
        for _ in 0..<40 {
            if let fd = descriptorName(current) { return fcntl(fd, F_GETFD) >= 0 ? fd : nil }
            var st = stat()
            guard lstat(current, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK else { return nil }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &buffer, Int(PATH_MAX))
            guard n > 0 else { return nil }
            let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // The descriptor's own link names the file it is open on: not a path to follow.
            guard !target.hasPrefix("/proc/") || target.hasPrefix("/proc/self/") || target.hasPrefix("/proc/thread-self/") || target.hasPrefix("/proc/\(getpid())/") else { return nil }
            current = target.hasPrefix("/") ? target
                : URL(fileURLWithPath: current).deletingLastPathComponent().appendingPathComponent(target).path
        }
        return nil
    }

    /// The descriptor number a path spells, without looking at the file system.
    private static func descriptorName(_ path: String) -> Int32? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        switch parts.count {
        case 2 where parts[0] == "dev":
            switch parts[1] {
            case "stdin": return 0
            case "stdout": return 1
            case "stderr": return 2
            default: return nil
            }
        case 3 where parts[0] == "dev" && parts[1] == "fd":
            return number(parts[2])
        case 4 where parts[0] == "proc" && parts[2] == "fd"
            && (parts[1] == "self" || parts[1] == "thread-self" || parts[1] == Substring(String(getpid()))):
            return number(parts[3])
        default:
            return nil
        }
        func number(_ s: Substring) -> Int32? {
            guard !s.isEmpty, s.count <= 9, s.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int32(s)
        }
    }

    /// Writes every byte of `data` to `fd`; false on the first error (`errno` says which).
    private static func writeAll(_ data: Data, to fd: Int32) -> Bool {
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
    }

    /// Opens the trace's file for writing as the run streams it: created or truncated, through a
    /// symbolic link, a device or a pipe written in place (never replaced by a new file).
    static func openStream(_ out: OutputFile) throws(UsageError) -> FileHandle {
        if let fd = openDescriptor(out.path) {
            fflush(fd == 2 ? stderr : stdout)
            let copy = dup(fd)
            guard copy >= 0 else {
                throw UsageError(message: "--\(out.option) \(scenarioQuote(out.path)): cannot write the file: \(String(cString: strerror(errno)))")
            }
            return FileHandle(fileDescriptor: copy, closeOnDealloc: true)
        }
        let fd = open(out.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw UsageError(message: "--\(out.option) \(scenarioQuote(out.path)): cannot write the file: \(String(cString: strerror(errno)))")
        }
        return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
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
