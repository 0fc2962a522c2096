import ATProtoAccountStore
import ATProtoOAuth
import Foundation
import Testing

/// Look-up by handle, DID or unique prefix; the default account; delete.
@Suite("AccountStore look-up")
struct AccountStoreLookupTests {
    /// alice.test, alicia.test, bob.test and one account without a handle.
    static func populated() throws -> TemporaryStore {
        let temporary = try TemporaryStore()
        for (did, handle) in [
            ("did:plc:aaaa1111", "alice.test"), ("did:plc:aaaa2222", "alicia.test"),
            ("did:plc:bbbb3333", "bob.test"), ("did:web:carol.example.com", nil),
        ] {
            try temporary.store.save(try SessionFactory.make(did: did, handle: handle))
        }
        return temporary
    }

    @Test("resolve by exact DID")
    func byDID() throws {
        let temporary = try Self.populated()
        defer { temporary.cleanUp() }
        #expect(try temporary.store.resolve("did:plc:aaaa2222").handle?.rawValue == "alicia.test")
        #expect(try temporary.store.resolve("did:web:carol.example.com").handle == nil)
    }

    @Test("resolve by handle: case-insensitive, leading @ accepted, exact beats prefix")
    func byHandle() throws {
        let temporary = try Self.populated()
        defer { temporary.cleanUp() }
        #expect(try temporary.store.resolve("bob.test").did.rawValue == "did:plc:bbbb3333")
        #expect(try temporary.store.resolve("@Bob.TEST").did.rawValue == "did:plc:bbbb3333")
        #expect(try temporary.store.resolve(" alice.test ").did.rawValue == "did:plc:aaaa1111")
    }

    @Test("resolve by unique prefix of a handle or a DID")
    func byPrefix() throws {
        let temporary = try Self.populated()
        defer { temporary.cleanUp() }
        #expect(try temporary.store.resolve("bo").did.rawValue == "did:plc:bbbb3333")
        #expect(try temporary.store.resolve("alici").did.rawValue == "did:plc:aaaa2222")
        #expect(try temporary.store.resolve("did:web").did.rawValue == "did:web:carol.example.com")
        #expect(try temporary.store.resolve("did:plc:bb").did.rawValue == "did:plc:bbbb3333")
    }

    @Test("an ambiguous prefix lists the candidates")
    func ambiguous() throws {
        let temporary = try Self.populated()
        defer { temporary.cleanUp() }
        let error = try #require(throws: AccountStoreError.self) { try temporary.store.resolve("ali") }
        #expect(error.code == .ambiguousAccount)
        #expect(error.description.contains("alice.test (did:plc:aaaa1111)"))
        #expect(error.description.contains("alicia.test (did:plc:aaaa2222)"))
        #expect(!error.description.contains("bob.test"))
        #expect(throws: AccountStoreError.self) { try temporary.store.resolve("did:plc:aaaa") }
    }

    @Test("no match lists the known accounts; an empty store says to log in")
    func noMatch() throws {
        let temporary = try Self.populated()
        defer { temporary.cleanUp() }
        let error = try #require(throws: AccountStoreError.self) { try temporary.store.resolve("dave") }
        #expect(error.code == .accountNotFound)
        #expect(error.description.contains("bob.test (did:plc:bbbb3333)"))
        #expect(error.description.contains("did:web:carol.example.com"))

        let empty = try TemporaryStore()
        defer { empty.cleanUp() }
        let none = try #require(throws: AccountStoreError.self) { try empty.store.resolve("alice") }
        #expect(none.code == .noAccounts)
        #expect(none.description.contains("login"))
    }

    @Test("resolving the DID of an unreadable file reports that file's problem, not 'not found'")
    func resolveReportsFileProblem() throws {
        let temporary = try Self.populated()
        defer { temporary.cleanUp() }
        let did = try DID("did:plc:bbbb3333")
        setPermissions(temporary.store.accountFileURL(for: did), 0o640)
        let error = try #require(throws: AccountStoreError.self) { try temporary.store.resolve("did:plc:bbbb3333") }
        #expect(error.code == .insecurePermissions)
        let byHandle = try #require(throws: AccountStoreError.self) { try temporary.store.resolve("bob.test") }
        #expect(byHandle.description.contains("accounts/did:plc:bbbb3333.json"), "the unreadable file is named")
    }

    @Test("default account: unset with one account → that one; unset with several → none; set → it")
    func defaultAccount() throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        #expect(store.defaultAccount() == nil)
        let alice = try SessionFactory.make(did: "did:plc:alice", handle: "alice.test")
        try store.save(alice)
        #expect(store.defaultAccount() == alice.did)
        let bob = try SessionFactory.make(did: "did:plc:bob", handle: "bob.test")
        try store.save(bob)
        #expect(store.defaultAccount() == nil)
        try store.setDefault(bob.did)
        #expect(store.defaultAccount() == bob.did)
        try store.setDefault(nil)
        #expect(store.defaultAccount() == nil)

        let error = try #require(throws: AccountStoreError.self) { try store.setDefault(try DID("did:plc:nobody")) }
        #expect(error.code == .accountNotFound)
    }

    @Test("config.json keeps members it does not know when the default changes")
    func configPreservesUnknownMembers() throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        let config = store.directory.appendingPathComponent("config.json")
        try writePrivate(Data(#"{"version": 1, "clientID": "https://app.example/client.json"}"#.utf8), to: config)
        let alice = try SessionFactory.make(did: "did:plc:alice", handle: "alice.test")
        try store.save(alice)
        try store.setDefault(alice.did)
        let object = try #require(try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: config)).objectValue)
        #expect(object["clientID"]?.stringValue == "https://app.example/client.json")
        #expect(object["defaultAccount"]?.stringValue == "did:plc:alice")
        #expect(object["version"]?.numberValue == 1)
    }

    @Test("a corrupt config.json is reported by loadAll; accounts still load")
    func corruptConfig() throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        try store.save(try SessionFactory.make(did: "did:plc:alice", handle: "alice.test"))
        try writePrivate(Data("{not json".utf8), to: store.directory.appendingPathComponent("config.json"))
        let listing = store.loadAll()
        #expect(listing.sessions.count == 1)
        #expect(listing.problems.map(\.file) == ["config.json"])
        #expect(store.defaultAccount()?.rawValue == "did:plc:alice", "falls back to the single account")
        #expect(throws: AccountStoreError.self) { try store.setDefault(nil) }
    }

    @Test("delete removes the file and clears the default that pointed at it")
    func delete() throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        let alice = try SessionFactory.make(did: "did:plc:alice", handle: "alice.test")
        let bob = try SessionFactory.make(did: "did:plc:bob", handle: "bob.test")
        let carol = try SessionFactory.make(did: "did:plc:carol", handle: "carol.test")
        for session in [alice, bob, carol] { try store.save(session) }
        try store.setDefault(bob.did)

        try store.delete(alice.did)
        #expect(store.defaultAccount() == bob.did, "deleting another account keeps the default")
        try store.delete(bob.did)
        #expect(!FileManager.default.fileExists(atPath: store.accountFileURL(for: bob.did).path))
        #expect(store.defaultAccount() == carol.did, "default cleared; the single remaining account")
        #expect(store.loadAll().sessions == [carol])

        let error = try #require(throws: AccountStoreError.self) { try store.delete(bob.did) }
        #expect(error.code == .accountNotFound)
        let loadError = try #require(throws: AccountStoreError.self) { try store.load(bob.did) }
        #expect(loadError.code == .accountNotFound)
    }
}
