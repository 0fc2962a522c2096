import ATProtoAccountStore
import ATProtoOAuth
import Foundation
import Testing

/// `replace`: the login's save, which hands back the session it superseded (R27).
@Suite("AccountStore replace (R27)")
struct AccountStoreReplaceTests {
    @Test("R27: replace returns nil for a new account, then the session it superseded, read under the lock")
    func returnsSuperseded() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let first = try SessionFactory.make(did: "did:plc:aaaa1111", accessToken: "a1", refreshToken: "r1")
        let second = try SessionFactory.make(did: "did:plc:aaaa1111", accessToken: "a2", refreshToken: "r2")
        #expect(try await temporary.store.replace(first) == nil)
        let superseded = try await temporary.store.replace(second)
        #expect(superseded?.refreshToken == "r1" && superseded?.dpopKey == first.dpopKey)
        #expect(try temporary.store.load(second.did).refreshToken == "r2")
    }

    @Test("R27: an unreadable previous file is still replaced; there is nothing to revoke")
    func corruptPreviousIsReplaced() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let session = try SessionFactory.make(did: "did:plc:aaaa1111")
        try temporary.store.save(session)
        try Data("{not json".utf8).write(to: temporary.store.accountFileURL(for: session.did))
        #expect(try await temporary.store.replace(session) == nil)
        #expect(try temporary.store.load(session.did).accessToken == session.accessToken)
    }
}
