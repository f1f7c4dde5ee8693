import Foundation

/// Objects the command line keeps until the process exits, so that tearing them down (a
/// large run's world: every page, connection and buffer) is not paid just before `exit`.
enum ProcessExit {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var kept: [AnyObject] = []

    static func keep(_ object: AnyObject) {
        lock.lock()
        kept.append(object)
        lock.unlock()
    }
}
