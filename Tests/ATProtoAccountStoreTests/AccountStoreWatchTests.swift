import ATProtoAccountStore
import ATProtoOAuth
import Foundation
import Testing

/// The store's change feed (inotify): another `AccountStore` on the same directory — what
/// another process's `login`, `logout` or default change does — is seen without polling, and
/// what is not a change of the store's data (reads, locks, temporary files) is not reported.
@Suite("AccountStore change feed")
struct AccountStoreWatchTests {
    /// Generous: the feed reports within the coalescing latency (50 ms); a loaded CI machine
    /// may be much slower, and only a missed change is a failure.
    static let deadline: Duration = .seconds(10)

    @Test("a save, a default change and a delete by another AccountStore instance each yield")
    func yieldsOnChangesByAnotherInstance() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let watcher = Watcher(try temporary.store.watchChanges())
        defer { watcher.stop() }
        let other = try AccountStore(directory: temporary.store.directory)
        let session = try SessionFactory.make(did: "did:plc:watch234567abcdefghijkl", handle: "watch.test")

        try other.save(session)
        #expect(await watcher.next(within: Self.deadline), "no change reported after a save")
        try other.setDefault(session.did)
        #expect(await watcher.next(within: Self.deadline), "no change reported after setDefault")
        try other.delete(session.did)
        #expect(await watcher.next(within: Self.deadline), "no change reported after a delete")
    }

    @Test("reads, locks and stray temporary files are not changes")
    func quietOnReads() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let session = try SessionFactory.make(did: "did:plc:quiet234567abcdefghijkl", handle: "quiet.test")
        try temporary.store.save(session)
        let watcher = Watcher(try temporary.store.watchChanges(latency: .milliseconds(10)))
        defer { watcher.stop() }
        _ = temporary.store.loadAll()
        _ = try temporary.store.load(session.did)
        _ = temporary.store.defaultAccount()
        try await temporary.store.withLock(session.did, timeout: .seconds(5)) {}
        let stray = temporary.store.directory.appendingPathComponent("accounts/.stray.tmp")
        try Data("x".utf8).write(to: stray)
        try FileManager.default.removeItem(at: stray)
        // Then a real change: the first element the feed yields must be for it, so nothing
        // above was reported (an element for the reads would already be buffered).
        let marker = temporary.store.directory.appendingPathComponent("accounts/marker.json")
        try await Task.sleep(for: .milliseconds(200))  // lets any wrongly reported event arrive first
        #expect(!watcher.hasPending, "reads, locks or temporary files were reported as a change")
        try Data("{}".utf8).write(to: marker)
        #expect(await watcher.next(within: Self.deadline), "the feed stopped reporting")
    }

    @Test("a burst of writes is coalesced, and the stream ends when its consumer stops")
    func coalescesAndEnds() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let watcher = Watcher(try temporary.store.watchChanges(latency: .milliseconds(500)))
        for index in 0..<20 {
            try temporary.store.save(
                try SessionFactory.make(did: "did:plc:burst\(index)34567abcdefghijkl", handle: "b\(index).test"))
        }
        #expect(await watcher.next(within: Self.deadline))
        try await Task.sleep(for: .milliseconds(700))
        // 20 saves are 60 file events (create, close-write, rename); gathered into one element
        // per latency window (two if a slow machine spreads them over more than 500 ms).
        #expect(watcher.count <= 2, "20 saves should be one or two elements, got \(watcher.count)")
        watcher.stop()
        #expect(await watcher.finished(within: Self.deadline), "the stream did not end after cancel")
    }
}

/// Consumes a change feed in a task, counting elements; tests wait on the count.
private final class Watcher: @unchecked Sendable {
    private let lock = NSLock()
    private var received = 0  // guarded by lock
    private var consumed = 0  // guarded by lock
    private var ended = false  // guarded by lock
    private var task: Task<Void, Never>?

    init(_ stream: AsyncStream<Void>) {
        task = Task { [self] in
            for await _ in stream { lock.withLock { received += 1 } }
            lock.withLock { ended = true }
        }
    }

    var count: Int { lock.withLock { received } }
    var hasPending: Bool { lock.withLock { received > consumed } }

    /// Waits until an element arrives that `next` has not returned yet.
    func next(within timeout: Duration) async -> Bool {
        await poll(timeout) { [self] in
            lock.withLock {
                guard received > consumed else { return false }
                consumed = received
                return true
            }
        }
    }

    func finished(within timeout: Duration) async -> Bool {
        await poll(timeout) { [self] in lock.withLock { ended } }
    }

    func stop() { task?.cancel() }

    private func poll(_ timeout: Duration, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }
}
