import Foundation

/// Work that must not be cut short once started: a refresh from the moment its token request
/// is sent until the new token set is saved (R24). The authorization server spends the
/// single-use refresh token when it answers, so a process that exits in between loses the
/// session.
///
/// Process-wide: a count of sections in flight that a shutdown path (a signal handler, a
/// TUI's quit) waits on with ``waitUntilIdle(timeout:)`` before exiting, after ``close()``
/// keeps new sections from starting. `SessionAgent.refresh` uses it; so may any caller whose
/// work spends something single-use.
///
/// A section also shields its work from task cancellation: the body runs in its own task, so
/// cancelling the caller (a TUI quitting, a task group unwinding) cannot abort a request whose
/// answer must be saved.
public enum CriticalSection {
    private static let state = CriticalSectionGate()

    /// Runs `body` as a critical section. While the facility is closed (see ``close()``), the
    /// call waits for ``reopen()`` before starting `body`: a process shutting down never starts
    /// one more.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await state.run(body)
    }

    /// Sections in flight now.
    public static var inFlight: Int { state.count }

    /// Called synchronously before every section starts (before its request is sent), at most
    /// one hook per process; the CLI installs its signal handlers from here on first use, so
    /// commands that never refresh keep the default signal behaviour. Replaces any earlier hook.
    public static func setWillEnterHook(_ hook: (@Sendable () -> Void)?) {
        state.setHook(hook)
    }

    /// New sections wait (without starting) until ``reopen()``; those in flight go on.
    public static func close() { state.setClosed(true) }

    /// Lets waiting and new sections start again.
    public static func reopen() { state.setClosed(false) }

    /// Blocks the calling thread until no section is in flight or `timeout` passed; `true`
    /// when none is. For signal-handling queues and other non-async contexts.
    @available(*, noasync, message: "use idle(timeout:) from async code")
    public static func waitUntilIdle(timeout: Duration) -> Bool {
        state.waitUntilIdle(timeout: timeout)
    }

    /// Returns once no section is in flight or `timeout` passed; `true` when none is.
    public static func idle(timeout: Duration) async -> Bool {
        await state.idle(timeout: timeout)
    }
}

/// The counter, the gate and the hook behind ``CriticalSection``, under one condition lock (an
/// instance of its own per test).
final class CriticalSectionGate: @unchecked Sendable {
    private let condition = NSCondition()
    private var running = 0  // guarded by condition
    private var closed = false  // guarded by condition
    private var parked: [CheckedContinuation<Void, Never>] = []  // guarded by condition
    private var hook: (@Sendable () -> Void)?  // guarded by condition

    func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        willEnter()
        await enter()
        let task = Task {
            defer { self.leave() }
            return try await body()
        }
        return try await task.value
    }

    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return running
    }

    func setHook(_ hook: (@Sendable () -> Void)?) {
        condition.lock()
        self.hook = hook
        condition.unlock()
    }

    func willEnter() {
        condition.lock()
        let hook = hook
        condition.unlock()
        hook?()
    }

    /// Counts a new section, or parks the caller while closed (counted when let through).
    func enter() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            if closed {
                parked.append(continuation)
                condition.unlock()
            } else {
                running += 1
                condition.unlock()
                continuation.resume()
            }
        }
    }

    func leave() {
        condition.lock()
        running -= 1
        condition.broadcast()
        condition.unlock()
    }

    func setClosed(_ value: Bool) {
        condition.lock()
        closed = value
        var released: [CheckedContinuation<Void, Never>] = []
        if !value {
            released = parked
            parked = []
            running += released.count
        }
        condition.unlock()
        for continuation in released { continuation.resume() }
    }

    /// Waits on a thread of its own: never blocks the cooperative pool.
    func idle(timeout: Duration) async -> Bool {
        if count == 0 { return true }
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: self.waitUntilIdle(timeout: timeout))
            }
        }
    }

    func waitUntilIdle(timeout: Duration) -> Bool {
        let (seconds, attoseconds) = timeout.components
        let deadline = Date().addingTimeInterval(Double(seconds) + Double(attoseconds) / 1e18)
        condition.lock()
        defer { condition.unlock() }
        while running > 0 {
            if !condition.wait(until: deadline) { return running == 0 }
        }
        return true
    }
}
