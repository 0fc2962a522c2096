import ATProtoAccountStore
import ATProtoOAuth
import Foundation
import Testing

/// R24: refreshes of one account are serialised across tasks AND processes by `withLock`.
@Suite("AccountStore withLock (R24)")
struct AccountStoreLockTests {
    /// Records enter/exit events from concurrent critical sections.
    actor Trace {
        private(set) var events: [String] = []
        private var inside = 0
        private(set) var maximumInside = 0
        func enter(_ name: String) {
            inside += 1
            maximumInside = max(maximumInside, inside)
            events.append("enter \(name)")
        }
        func exit(_ name: String) {
            inside -= 1
            events.append("exit \(name)")
        }
    }

    @Test("R24: contending tasks are serialised: enter/exit strictly alternate, never overlap")
    func tasksAreSerialised() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        let did = try DID("did:plc:locked")
        let trace = Trace()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<6 {
                group.addTask {
                    for round in 0..<3 {
                        try await store.withLock(did) {
                            await trace.enter("\(task).\(round)")
                            try await Task.sleep(for: .milliseconds(3))
                            await trace.exit("\(task).\(round)")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let events = await trace.events
        #expect(await trace.maximumInside == 1)
        #expect(events.count == 36)
        for pair in stride(from: 0, to: events.count, by: 2) {
            let entered = events[pair].dropFirst("enter ".count)
            #expect(events[pair] == "enter \(entered)" && events[pair + 1] == "exit \(entered)")
        }
    }

    @Test("R24: locks of different accounts do not block each other")
    func differentAccountsIndependent() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        let alice = try DID("did:plc:alice")
        let bob = try DID("did:plc:bob")
        let result = try await store.withLock(alice) {
            try await store.withLock(bob, timeout: .milliseconds(200)) { "both held" }
        }
        #expect(result == "both held")
    }

    @Test("R24: another process (flock(1)) cannot take the lock while it is held, and can afterwards")
    func excludesOtherProcesses() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        let did = try DID("did:plc:crossprocess")
        let lockFile = store.lockFileURL(for: did)
        let whileHeld = try await store.withLock(did) {
            try await Self.runFlock(lockFile)
        }
        #expect(whileHeld == 1, "flock -n must fail while we hold the lock")
        #expect(try await Self.runFlock(lockFile) == 0, "and succeed once it is released")
    }

    @Test("R24: a lock held by another process makes withLock wait, then time out with the file named")
    func timesOutWhileAnotherProcessHolds() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        let did = try DID("did:plc:busy")
        // Create the lock file.
        try await store.withLock(did) {}
        // One process holds the lock until it is killed: flock(1) would pass the lock on to its
        // command, which a signal to flock itself does not end.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        holder.arguments = [
            "-c",
            "import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); time.sleep(600)",
            store.lockFileURL(for: did).path,
        ]
        let holderExit = try Self.start(holder)
        defer { if holder.isRunning { kill(holder.processIdentifier, SIGKILL) } }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while try await Self.runFlock(store.lockFileURL(for: did)) == 0 {
            try #require(clock.now < deadline, "the holder never took the lock")
            try await Task.sleep(for: .milliseconds(10))
        }

        let start = clock.now
        let error = await #expect(throws: AccountStoreError.self) {
            try await store.withLock(did, timeout: .milliseconds(150)) {}
        }
        #expect(error?.code == .lockTimeout)
        #expect(error?.path == "locks/did:plc:busy.lock")
        #expect(clock.now - start >= .milliseconds(150))

        // Once the holder dies, the kernel releases its lock and we get it.
        kill(holder.processIdentifier, SIGKILL)
        _ = await holderExit.value
        let acquired = try await store.withLock(did, timeout: .seconds(30)) { true }
        #expect(acquired)
    }

    @Test("R24: cancellation while waiting throws CancellationError and leaves the lock usable")
    func cancellationWhileWaiting() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        let did = try DID("did:plc:cancel")
        let entered = AsyncStream<Void>.makeStream()
        let release = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await store.withLock(did) {
                entered.continuation.yield()
                for await _ in release.stream { break }
            }
        }
        for await _ in entered.stream { break }
        let waiter = Task { try await store.withLock(did) { "entered" } }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        release.continuation.yield()
        try await holder.value
        #expect(try await store.withLock(did, timeout: .seconds(1)) { "free" } == "free")
    }

    @Test("R24: the lock is released when the body throws")
    func releasedOnError() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        let did = try DID("did:plc:throws")
        struct Boom: Error {}
        await #expect(throws: Boom.self) { try await store.withLock(did) { throw Boom() } }
        #expect(try await Self.runFlock(store.lockFileURL(for: did)) == 0)
    }

    @Test("R24: load-modify-save under the lock from many tasks loses no update")
    func readModifyWriteUnderLock() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        let initial = try SessionFactory.make(did: "did:plc:counter", accessToken: "0")
        try store.save(initial)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<5 {
                        try await store.withLock(initial.did) {
                            var session = try store.load(initial.did)
                            session.accessToken = String((Int(session.accessToken) ?? -1000) + 1)
                            await Task.yield()
                            try store.save(session)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try store.load(initial.did).accessToken == "40")
    }

    /// Runs `flock -n <file> true`: exit 0 when the lock was free, 1 when someone holds it.
    static func runFlock(_ file: URL) async throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        process.arguments = ["-n", file.path, "true"]
        return try await start(process).value
    }

    /// Starts `process`; the task ends with its exit status. Waiting never blocks a thread of
    /// the cooperative pool (on 2 cores, a blocked pool stalls every other test).
    static func start(_ process: Process) throws -> Task<Int32, Never> {
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { finished in
            continuation.yield(finished.terminationStatus)
            continuation.finish()
        }
        try process.run()
        return Task {
            for await status in stream { return status }
            return -1
        }
    }
}
