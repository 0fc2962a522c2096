import ATProtoAccountStore
import ATProtoOAuth
import Foundation
import Testing

/// The format `version` and its migration path.
@Suite("StoreMigrations")
struct StoreMigrationsTests {
    /// A made-up format 0 in which the DID was called `subject` and the handle `@handle`:
    /// what a real `Step` will look like when format 2 arrives.
    static let synthetic = StoreMigrations(
        currentVersion: 1,
        steps: [
            .init(from: 0) { object in
                var upgraded = object
                upgraded["did"] = upgraded.removeValue(forKey: "subject")
                if let handle = upgraded.removeValue(forKey: "@handle")?.stringValue {
                    upgraded["handle"] = .string(String(handle.dropFirst()))
                }
                return upgraded
            }
        ])

    @Test("a synthetic v0 document is upgraded step by step to v1 and decodes to the same session")
    func upgradesOlderFormat() throws {
        let session = try SessionFactory.make(did: "did:plc:old", handle: "old.test")
        var object = try #require(try JSONDecoder().decode(JSONValue.self, from: session.encoded()).objectValue)
        object["version"] = .number(0)
        object["subject"] = object.removeValue(forKey: "did")
        object["@handle"] = .string("@old.test")
        object.removeValue(forKey: "handle")
        let v0 = try JSONEncoder().encode(JSONValue.object(object))

        #expect(throws: (any Error).self) { try Session.decode(v0) }
        let upgraded = try Self.synthetic.upgrade(v0, display: "accounts/did:plc:old.json")
        #expect(try Session.decode(upgraded) == session)
    }

    @Test("the current version passes through byte for byte")
    func currentUnchanged() throws {
        let data = try SessionFactory.make(did: "did:plc:now").encoded()
        #expect(try StoreMigrations.sessions.upgrade(data, display: "x") == data)
        #expect(StoreMigrations.sessions.currentVersion == Session.currentVersion)
    }

    @Test("a newer version is refused: written by a newer atproto-oauth")
    func newerRefused() throws {
        let data = Data(#"{"version": 7}"#.utf8)
        let error = try #require(throws: AccountStoreError.self) {
            try StoreMigrations.sessions.upgrade(data, display: "accounts/did:plc:x.json")
        }
        #expect(error.code == .newerVersion)
        #expect(
            error.description == "accounts/did:plc:x.json: was written by a newer atproto-oauth (format version 7; "
                + "this one reads up to 1); upgrade atproto-oauth to use this account")
    }

    @Test("a version with no migration step, or no version at all, is refused with the file named")
    func unknownOrMissingVersion() throws {
        let noStep = try #require(throws: AccountStoreError.self) {
            try StoreMigrations.sessions.upgrade(Data(#"{"version": 0}"#.utf8), display: "f.json")
        }
        #expect(noStep.code == .unsupportedVersion)
        let missing = try #require(throws: AccountStoreError.self) {
            try StoreMigrations.sessions.upgrade(Data(#"{"did": "did:plc:x"}"#.utf8), display: "f.json")
        }
        #expect(missing.code == .corruptFile)
        #expect(missing.path == "f.json")
    }

    @Test("an older file in the store is loaded through the migrations (store-level)")
    func storeUsesMigrations() throws {
        // Only v1 exists, so at store level an older file must be refused as unsupported, by name.
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let session = try SessionFactory.make(did: "did:plc:ancient")
        var object = try #require(try JSONDecoder().decode(JSONValue.self, from: session.encoded()).objectValue)
        object["version"] = .number(0)
        try writePrivate(
            try JSONEncoder().encode(JSONValue.object(object)), to: temporary.store.accountFileURL(for: session.did))
        let problems = temporary.store.loadAll().problems
        #expect(problems.map(\.file) == ["accounts/did:plc:ancient.json"])
        #expect(problems.map(\.error.code) == [.unsupportedVersion])
    }
}
