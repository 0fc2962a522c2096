import ATProtoAccountStore
import ATProtoOAuth
import Foundation
import Testing

/// The summary cache (`summaries`): only ever a cache. Every listing must equal what reading
/// every file gives, whatever happened to the files or to the cache since it was written.
@Suite("AccountStore summary cache")
struct AccountStoreSummaryCacheTests {
    /// What the summaries must be: every file read in full.
    private func expected(_ store: AccountStore) -> [SessionSummary] {
        store.loadAll().sessions.map(SessionSummary.init)
    }

    private func fill(_ store: AccountStore, count: Int) throws -> [Session] {
        let sessions = try (0..<count).map { index in
            try SessionFactory.make(did: "did:plc:summarycache\(index)", handle: "user\(index).test")
        }
        for session in sessions { try store.save(session) }
        return sessions
    }

    private var cacheURL: (AccountStore) -> URL { { $0.directory.appendingPathComponent("summaries") } }

    @Test("the first listing writes the cache (0600); later ones read it and agree with the files")
    func writesAndReadsTheCache() throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        _ = try fill(store, count: 40)

        let first = store.summaryListing()
        #expect(first.summaries == expected(store))
        #expect(first.problems.isEmpty)
        #expect(permissions(of: cacheURL(store)) == 0o600)
        let written = try Data(contentsOf: cacheURL(store))
        #expect(!String(decoding: written, as: UTF8.self).contains("access-token"), "no secret in the cache")
        #expect(!String(decoding: written, as: UTF8.self).contains("refresh-token"), "no secret in the cache")

        let second = store.summaryListing()
        #expect(second.summaries == first.summaries)
        #expect(try Data(contentsOf: cacheURL(store)) == written, "nothing changed: not rewritten")
    }

    @Test("a session saved, deleted or added since is seen at once")
    func followsChanges() throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        var sessions = try fill(store, count: 5)
        _ = store.summaryListing()

        sessions[1].expiresAt = sessions[1].expiresAt.addingTimeInterval(600)
        sessions[1].refreshedAt = sessions[1].createdAt.addingTimeInterval(60)
        try store.save(sessions[1])
        try store.delete(sessions[3].did)
        try store.save(try SessionFactory.make(did: "did:plc:summarycachenew", handle: "new.test"))

        let listing = store.summaryListing()
        #expect(listing.summaries == expected(store))
        #expect(listing.summaries.first { $0.did == sessions[1].did }?.expiresAt == sessions[1].expiresAt)
        #expect(!listing.summaries.contains { $0.did == sessions[3].did })
        #expect(listing.summaries.contains { $0.handle?.rawValue == "new.test" })
    }

    @Test("a cached file made group-readable is a problem, not a summary")
    func permissionsAreCheckedEveryTime() throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        let sessions = try fill(store, count: 3)
        _ = store.summaryListing()
        setPermissions(store.accountFileURL(for: sessions[0].did), 0o644)

        let listing = store.summaryListing()
        #expect(!listing.summaries.contains { $0.did == sessions[0].did })
        #expect(listing.problems.count == 1)
        #expect(listing.problems.first?.reason.contains("chmod 600") == true)
        #expect(listing.problems.map(\.location) == store.list().problems.map(\.location))
    }

    @Test("a corrupt, truncated or foreign cache is ignored and rebuilt")
    func corruptCacheIsRebuilt() throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        _ = try fill(store, count: 4)
        _ = store.summaryListing()
        let good = try Data(contentsOf: cacheURL(store))
        let damaged = [
            Data("not a cache".utf8), good.prefix(good.count / 2), Data(), good + Data("x\ty\n".utf8),
            Data(String(decoding: good, as: UTF8.self).replacingOccurrences(of: "did:plc:", with: "did:bad:").utf8),
        ]
        for bytes in damaged {
            try bytes.write(to: cacheURL(store))
            setPermissions(cacheURL(store), 0o600)
            #expect(store.summaryListing().summaries == expected(store))
            #expect(try Data(contentsOf: cacheURL(store)) == good, "rebuilt")
        }
    }

    @Test("fields with %, tab and newline survive the cache")
    func escaping() throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        var session = try SessionFactory.make(did: "did:plc:summarycacheescape", handle: "escape.test")
        session.clientID = "https://client.example/meta?x=%41\tand\nmore\r"
        session.movingTo = "/srv/a\tb%20c"
        try store.save(session)
        _ = store.summaryListing()
        let cached = store.summaryListing().summaries
        #expect(cached == expected(store))
        #expect(cached.first?.clientID == session.clientID)
        #expect(cached.first?.movingTo == session.movingTo)
    }

    @Test("the SessionStore requirement answers from the cache, as the default would from list()")
    func protocolRequirement() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store: any SessionStore = temporary.store
        _ = try fill(temporary.store, count: 3)
        let summaries = try await store.summaries().summaries
        #expect(summaries == SummaryListing(try await store.list()).summaries)
    }
}
