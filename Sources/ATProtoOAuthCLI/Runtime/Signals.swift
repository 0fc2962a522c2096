import ATProtoOAuth
import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's signal handling, in one place: dispatch sources (libdispatch replaces the
/// default handler once a source is registered), shared by ``SignalWaiter`` (the dev server,
/// `proxy`) and ``InterruptGuard`` (every command that refreshes).
///
/// Whatever a signal is for, in-flight critical sections (a refresh between sending its token
/// request and saving the answer, R24) finish first, for at most ``drainTimeout``; then the
/// waiters for that signal go on, or, with none, the process exits with 128 + the signal.
final class SignalHub: @unchecked Sendable {
    static let shared = SignalHub()

    /// How long a signal waits for in-flight refreshes to be saved.
    static let drainTimeout: Duration = .seconds(10)

    private let queue = DispatchQueue(label: "atproto-oauth.signals")
    /// Where a signal waits for the drain: never `queue`, whose registrations must not queue
    /// behind a wait of up to ``drainTimeout``.
    private let drainQueue = DispatchQueue(label: "atproto-oauth.signals.drain")
    private let lock = NSLock()
    private var sources: [Int32: any DispatchSourceSignal] = [:]  // guarded by lock
    private var waiters: [ObjectIdentifier: (signals: Set<Int32>, fire: @Sendable () -> Void)] = [:]  // guarded by lock

    private init() {}

    /// Handles `number` from now on (idempotent). Returns once the source is registered, so a
    /// signal sent after this call is never met by the default action.
    func handle(_ number: Int32) {
        lock.lock()
        defer { lock.unlock() }
        guard sources[number] == nil else { return }
        let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
        let registered = DispatchSemaphore(value: 0)
        source.setRegistrationHandler { registered.signal() }
        // The hub lives as long as the process: strong references are fine.
        source.setEventHandler { self.drainQueue.async { self.received(number) } }
        source.resume()
        registered.wait()
        sources[number] = source
    }

    func addWaiter(_ id: ObjectIdentifier, signals: Set<Int32>, fire: @escaping @Sendable () -> Void) {
        lock.lock()
        waiters[id] = (signals, fire)
        lock.unlock()
        for number in signals { handle(number) }
    }

    func removeWaiter(_ id: ObjectIdentifier) {
        lock.lock()
        waiters[id] = nil
        lock.unlock()
    }

    /// Runs on `drainQueue`: lets in-flight critical sections finish (none starts any more), then
    /// wakes the waiters for `number`, or exits 128 + `number` when there are none.
    private func received(_ number: Int32) {
        CriticalSection.close()
        if CriticalSection.inFlight > 0 {
            _ = CriticalSection.waitUntilIdle(timeout: Self.drainTimeout)
        }
        lock.lock()
        let wanting = waiters.values.filter { $0.signals.contains(number) }.map(\.fire)
        lock.unlock()
        guard !wanting.isEmpty else { Foundation.exit(128 + number) }
        for fire in wanting { fire() }
    }
}

/// Keeps SIGTERM, SIGINT and SIGHUP from ending a refresh between sending its token request
/// and saving the new token set (R24): installed by the first refresh of the process (through
/// ``CriticalSection``'s hook), so commands that never refresh keep the default behaviour. A
/// signal then waits for in-flight refreshes (bounded) and exits 128 + the signal at once when
/// none is in flight. Signals someone else handles or ignores (the TUI's own handlers, `nohup`)
/// are left alone.
enum InterruptGuard {
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Registers the hook; called once, at start-up.
    static func installOnFirstRefresh() {
        CriticalSection.setWillEnterHook { guardSignals() }
    }

    private static let guarded = NSLock()
    nonisolated(unsafe) private static var done: Set<Int32> = []  // guarded by `guarded`

    /// Takes over each of ``signals`` still at its default disposition (or already ours).
    static func guardSignals() {
        guarded.lock()
        defer { guarded.unlock() }
        for number in signals where !done.contains(number) {
            guard SignalHub.shared.isHandling(number) || hasDefaultDisposition(number) else { continue }
            SignalHub.shared.handle(number)
            done.insert(number)
        }
    }

    private static func hasDefaultDisposition(_ number: Int32) -> Bool {
        var current = sigaction()
        guard sigaction(number, nil, &current) == 0 else { return false }
        #if canImport(Glibc)
            return current.__sigaction_handler.sa_handler == nil
        #else
            return current.__sigaction_u.__sa_handler == nil
        #endif
    }
}

extension SignalHub {
    func isHandling(_ number: Int32) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return sources[number] != nil
    }
}

/// Waits for the first of some signals (after in-flight refreshes were saved, see
/// ``SignalHub``), replacing their default handlers, which would kill the process before a
/// server stops.
final class SignalWaiter: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Void, Never>?  // guarded by lock
    private var fired = false  // guarded by lock

    init(signals: [Int32]) {
        SignalHub.shared.addWaiter(ObjectIdentifier(self), signals: Set(signals)) { [weak self] in self?.fire() }
    }

    deinit { SignalHub.shared.removeWaiter(ObjectIdentifier(self)) }

    /// Returns once one of the signals arrived (at once if one already has).
    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if fired {
                lock.unlock()
                continuation.resume()
            } else {
                self.continuation = continuation
                lock.unlock()
            }
        }
    }

    private func fire() {
        lock.lock()
        fired = true
        let continuation = continuation
        self.continuation = nil
        lock.unlock()
        continuation?.resume()
    }
}
