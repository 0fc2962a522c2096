import ATProtoOAuthTesting
import Foundation
import Testing

/// `SessionStoreMover`: moved, never copied (R24), over in-memory stores; a destination that
/// fails on cue stands in for a process killed between the steps.
@Suite("SessionStoreMover: moved, never live in two stores (R24)")
struct SessionStoreMoverTests {
    static let pds = URL(string: "https://pds.example.com")
    static let issuer = URL(string: "https://as.example.com")

    static func session(_ index: Int) throws -> Session {
        try Session.testSession(
            did: ClientWorld.did(index), handle: "user\(index).example.com", pds: try #require(pds),
            issuer: try #require(issuer), refreshToken: "refresh-\(index)",
            now: Date(timeIntervalSince1970: 1_800_000_000))
    }

    @Test("every account ends in the destination only, unmarked, byte for byte")
    func movesEveryAccount() async throws {
        let sessions = try [Self.session(0), Self.session(1)]
        let source = InMemorySessionStore(sessions)
        let destination = InMemorySessionStore()
        let mover = SessionStoreMover(
            source: source, destination: destination, destinationName: "elsewhere", lockTimeout: .seconds(5))

        let results = try await mover.moveAll()

        #expect(results.map(\.did) == sessions.map(\.did))
        #expect(results.allSatisfy { (try? $0.result.get()) != nil })
        #expect(await source.list().sessions.isEmpty)
        for session in sessions {
            let moved = try await destination.load(session.did)
            #expect(moved.movingTo == nil)
            #expect(try moved.encoded() == session.encoded())
        }
    }

    @Test(
        "a move cut off after the destination write leaves only a marked source copy, which refuses use; a re-run finishes it"
    )
    func interruptedMoveIsFinishedByRerun() async throws {
        let session = try Self.session(0)
        let source = InMemorySessionStore([session])
        let destination = FailingStore()
        destination.failAfterSave = true  // the write lands, then everything fails: as if killed
        let mover = SessionStoreMover(
            source: source, destination: destination, destinationName: "/srv/elsewhere", lockTimeout: .seconds(5))

        await #expect(throws: (any Error).self) { try await mover.move(session.did) }

        let marked = try await source.load(session.did)
        #expect(marked.movingTo == "/srv/elsewhere", "the destination may hold it: the source copy stays marked")
        let world = ScriptedTransport()
        let agent = SessionAgent(transport: world, store: source, issuerResolver: nil)
        do {
            _ = try await agent.refresh(session.did, replacing: nil)
            Issue.record("a marked copy was refreshed")
        } catch let error as ATProtoOAuthError {
            #expect(error.code == .accountMoving)
            #expect(error.description.contains("store move"))
        }
        await #expect(throws: ATProtoOAuthError.self) { try await agent.revoke(session.did) }
        #expect(world.requests.isEmpty, "nothing was sent for a marked copy")

        destination.failAfterSave = false
        try await mover.move(session.did)
        #expect(await source.list().sessions.isEmpty)
        #expect(try await destination.base.load(session.did).encoded() == session.encoded())
    }

    @Test(
        "a destination that refuses the write and does not hold the session: the mark is cleared, the account stays usable"
    )
    func failedWriteClearsTheMark() async throws {
        let session = try Self.session(0)
        let source = InMemorySessionStore([session])
        let destination = FailingStore()
        destination.failSave = true
        let mover = SessionStoreMover(
            source: source, destination: destination, destinationName: "elsewhere", lockTimeout: .seconds(5))

        await #expect(throws: (any Error).self) { try await mover.move(session.did) }

        let kept = try await source.load(session.did)
        #expect(kept.movingTo == nil)
        #expect(try kept.encoded() == session.encoded())
        #expect(await destination.base.list().sessions.isEmpty)
    }

    @Test("a newer copy already in the destination (an earlier move, used there since) is kept; the source copy goes")
    func newerDestinationCopyWins() async throws {
        let session = try Self.session(0)
        var newer = session
        newer.accessToken = "access-newer"
        newer.refreshToken = "refresh-newer"
        newer.refreshedAt = session.createdAt.addingTimeInterval(60)
        let source = InMemorySessionStore([session])
        let destination = InMemorySessionStore([newer])
        let mover = SessionStoreMover(
            source: source, destination: destination, destinationName: "elsewhere", lockTimeout: .seconds(5))

        try await mover.move(session.did)

        #expect(await source.list().sessions.isEmpty)
        #expect(try await destination.load(session.did).refreshToken == "refresh-newer")
    }
}

/// An in-memory store that fails on cue: `failSave` refuses writes; `failAfterSave` lets a
/// write land and then fails it and every later read, as a store does for a process killed or
/// cut off right after its write.
final class FailingStore: SessionStore, @unchecked Sendable {
    let base = InMemorySessionStore()
    private let lock = NSLock()
    private var flags = (save: false, afterSave: false, broken: false)  // guarded by lock

    var failSave: Bool {
        get { lock.withLock { flags.save } }
        set { lock.withLock { flags.save = newValue } }
    }
    var failAfterSave: Bool {
        get { lock.withLock { flags.afterSave } }
        set { lock.withLock { flags = (flags.save, newValue, false) } }
    }

    struct Failure: Error {}

    private func check() throws { if lock.withLock({ flags.broken }) { throw Failure() } }

    func load(_ did: DID) async throws -> Session {
        try check()
        return try await base.load(did)
    }

    func save(_ session: Session) async throws {
        try check()
        if failSave { throw Failure() }
        await base.save(session)
        if failAfterSave {
            lock.withLock { flags.broken = true }
            throw Failure()
        }
    }

    func delete(_ did: DID) async throws {
        try check()
        try await base.delete(did)
    }

    func list() async throws -> SessionListing {
        try check()
        return await base.list()
    }

    func withLock<T: Sendable>(_ did: DID, timeout: Duration, _ body: @Sendable () async throws -> T) async throws -> T
    {
        try await base.withLock(did, timeout: timeout, body)
    }
}
