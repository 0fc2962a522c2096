import ATProtoAccountStore
import ATProtoOAuth
import ATProtoPostgresStore
import ATProtoPostgresTestSupport
import Foundation
import Testing

/// What every `SessionStore` must do, run over the file store, the in-memory store and
/// PostgreSQL alike (R24 for the lock cases).
@Suite("SessionStore contract", .timeLimit(.minutes(1)))
struct SessionStoreContractTests {
    /// Runs `body` over a fresh store of `kind`, removing it afterwards.
    private func with(_ kind: StoreKind, _ body: (StoreUnderTest) async throws -> Void) async throws {
        let subject = try await StoreUnderTest.make(kind)
        do {
            try await body(subject)
            await subject.cleanUp()
        } catch {
            await subject.cleanUp()
            throw error
        }
    }

    @Test("save then load returns the same session, field for field", arguments: StoreKind.underTest)
    func saveLoad(kind: StoreKind) async throws {
        try await with(kind) { subject in
            let session = try Sessions.make(did: "did:plc:alice", handle: "alice.test")
            try await subject.store.save(session)
            let loaded = try await subject.store.load(session.did)
            #expect(try loaded.encoded() == session.encoded())
        }
    }

    @Test("save replaces; a second instance over the same data sees the latest", arguments: StoreKind.underTest)
    func saveReplaces(kind: StoreKind) async throws {
        try await with(kind) { subject in
            try await subject.store.save(try Sessions.make(did: "did:plc:alice", accessToken: "a1"))
            try await subject.store.save(try Sessions.make(did: "did:plc:alice", accessToken: "a2"))
            let reader = subject.twin ?? subject.store
            #expect(try await reader.load(DID("did:plc:alice")).accessToken == "a2")
            #expect(try await reader.list().sessions.count == 1)
        }
    }

    @Test("load and delete of an unknown DID throw", arguments: StoreKind.underTest)
    func unknown(kind: StoreKind) async throws {
        try await with(kind) { subject in
            let did = try DID("did:plc:nobody")
            await #expect(throws: (any Error).self) { try await subject.store.load(did) }
            await #expect(throws: (any Error).self) { try await subject.store.delete(did) }
        }
    }

    @Test("delete removes the session", arguments: StoreKind.underTest)
    func delete(kind: StoreKind) async throws {
        try await with(kind) { subject in
            let session = try Sessions.make(did: "did:plc:alice")
            try await subject.store.save(session)
            try await subject.store.delete(session.did)
            await #expect(throws: (any Error).self) { try await subject.store.load(session.did) }
            #expect(try await subject.store.list().sessions.isEmpty)
        }
    }

    @Test("list is sorted by handle (else DID), then DID, with no problems", arguments: StoreKind.underTest)
    func listSorted(kind: StoreKind) async throws {
        try await with(kind) { subject in
            for (did, handle) in [
                ("did:plc:c", "carol.test"), ("did:plc:a", "bob.test"), ("did:plc:zz", nil),
                ("did:plc:b", "alice.test"),
            ] {
                try await subject.store.save(try Sessions.make(did: did, handle: handle))
            }
            let listing = try await subject.store.list()
            #expect(listing.sessions.map(\.did.rawValue) == ["did:plc:b", "did:plc:a", "did:plc:c", "did:plc:zz"])
            #expect(listing.problems.isEmpty)
        }
    }

    @Test("an unreadable entry is listed as a problem; the others still load", arguments: [StoreKind.file, .postgres])
    func unreadableEntry(kind: StoreKind) async throws {
        guard StoreKind.underTest.contains(kind) else { return }
        try await with(kind) { subject in
            try await subject.store.save(try Sessions.make(did: "did:plc:good", handle: "good.test"))
            try await subject.store.save(try Sessions.make(did: "did:plc:bad", handle: "bad.test"))
            switch kind {
            case .file:
                let store = try #require(subject.store as? AccountStore)
                try Data("{ not json".utf8).write(to: store.accountFileURL(for: DID("did:plc:bad")))
            case .postgres:
                let url = try #require(subject.location)
                try await PostgresTestServer.execute(
                    "UPDATE atproto_oauth_sessions SET sealed = sealed || '\\x00'::bytea WHERE did = 'did:plc:bad'",
                    on: url)
            case .memory:
                return
            }
            let listing = try await subject.store.list()
            #expect(listing.sessions.map(\.did.rawValue) == ["did:plc:good"])
            #expect(listing.problems.count == 1)
            #expect(listing.problems.first?.description.contains("did:plc:bad") == true)
            await #expect(throws: (any Error).self) { try await subject.store.load(DID("did:plc:bad")) }
        }
    }

    @Test("R24: the lock excludes every other holder: tasks, and a second instance", arguments: StoreKind.underTest)
    func lockExcludes(kind: StoreKind) async throws {
        try await with(kind) { subject in
            let did = try DID("did:plc:locked")
            let trace = Trace()
            let stores = [subject.store, subject.twin ?? subject.store]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<6 {
                    let store = stores[task % 2]
                    group.addTask {
                        for _ in 0..<3 {
                            try await store.withLock(did, timeout: .seconds(20)) {
                                await trace.enter()
                                try await Task.sleep(for: .milliseconds(3))
                                await trace.exit()
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(await trace.maximumInside == 1)
            #expect(await trace.entries == 18)
        }
    }

    @Test(
        "R24: re-reading inside the lock sees the previous holder's save (no lost update)",
        arguments: StoreKind.underTest)
    func reReadInsideLock(kind: StoreKind) async throws {
        try await with(kind) { subject in
            let did = try DID("did:plc:counter")
            try await subject.store.save(try Sessions.make(did: did.rawValue, accessToken: "0"))
            let stores = [subject.store, subject.twin ?? subject.store]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<8 {
                    let store = stores[task % 2]
                    group.addTask {
                        for _ in 0..<3 {
                            try await store.withLock(did, timeout: .seconds(20)) {
                                var session = try await store.load(did)
                                let count = Int(session.accessToken) ?? -1000
                                await Task.yield()
                                session.accessToken = String(count + 1)
                                try await store.save(session)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await subject.store.load(did).accessToken == "24")
        }
    }

    @Test("R24: locks of different accounts do not block each other", arguments: StoreKind.underTest)
    func independentAccounts(kind: StoreKind) async throws {
        try await with(kind) { subject in
            let alice = try DID("did:plc:alice")
            let bob = try DID("did:plc:bob")
            // Alice's lock is held by this very task: were bob's blocked by it, this would time out.
            try await subject.store.withLock(alice, timeout: .seconds(5)) {
                try await (subject.twin ?? subject.store).withLock(bob, timeout: .seconds(5)) {}
            }
        }
    }

    @Test(
        "R24: waiting past the timeout throws (the holder keeps the lock); the lock is free again after",
        arguments: StoreKind.underTest)
    func lockTimeout(kind: StoreKind) async throws {
        try await with(kind) { subject in
            let did = try DID("did:plc:busy")
            let other = subject.twin ?? subject.store
            let clock = ContinuousClock()
            let (entered, signal) = AsyncStream.makeStream(of: Void.self)
            // The holder keeps the lock until the waiter has given up, so the waiter can only
            // have ended by its own timeout — whatever the machine's load.
            let (release, releaseSignal) = AsyncStream.makeStream(of: Void.self)
            _ = try await other.list()  // connected and prepared before the race
            let holder = Task {
                defer { signal.finish() }
                try await subject.store.withLock(did, timeout: .seconds(5)) {
                    signal.yield()
                    signal.finish()
                    for await _ in release { break }
                }
            }
            for await _ in entered { break }
            let start = clock.now
            await #expect(throws: (any Error).self) {
                try await other.withLock(did, timeout: .milliseconds(300)) {}
            }
            let waited = clock.now - start
            releaseSignal.finish()
            #expect(waited >= .milliseconds(250), "gave up after \(waited), before its 300 ms timeout")
            try await holder.value
            try await other.withLock(did, timeout: .seconds(5)) {}
        }
    }

    @Test("the lock is released when the body throws", arguments: StoreKind.underTest)
    func releasedOnError(kind: StoreKind) async throws {
        struct Boom: Error {}
        try await with(kind) { subject in
            let did = try DID("did:plc:boom")
            await #expect(throws: Boom.self) {
                try await subject.store.withLock(did, timeout: .seconds(5)) { throw Boom() }
            }
            try await (subject.twin ?? subject.store).withLock(did, timeout: .seconds(2)) {}
        }
    }
}
