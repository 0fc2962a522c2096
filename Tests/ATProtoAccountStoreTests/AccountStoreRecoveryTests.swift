import ATProtoAccountStore
import ATProtoOAuth
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// R24: a writer killed after writing its temporary file in full but before the rename leaves the
/// newest token set there, while the account file holds a refresh token already spent. The next
/// `withLock` of that account adopts it (or discards it when it is incomplete or older), so the
/// body's `load` never replays a spent refresh token.
@Suite("AccountStore recovery of interrupted saves (R24)")
struct AccountStoreRecoveryTests {
    static let loggedIn = Date(timeIntervalSince1970: 1_800_000_000)

    /// A session as a refresh at `refreshedAt` would leave it.
    static func session(
        _ did: String, refreshToken: String, refreshedAt: Date? = nil, accessToken: String = "access"
    ) throws -> Session {
        var session = try SessionFactory.make(
            did: did, accessToken: accessToken, refreshToken: refreshToken, now: loggedIn)
        session.refreshedAt = refreshedAt
        return session
    }

    /// The name `writeAtomically` gives the temporary files of `did`.
    static func temporaryFile(_ store: AccountStore, _ did: String, token: String = "0123456789abcdef") throws -> URL {
        let target = store.accountFileURL(for: try DID(did)).lastPathComponent
        return store.directory.appendingPathComponent("accounts").appendingPathComponent(".\(target).\(token).tmp")
    }

    /// What a writer killed after `fsync`, before `rename`, leaves: the whole file, mode 0600.
    static func leaveTemporaryFile(_ session: Session, in store: AccountStore, token: String = "0123456789abcdef")
        throws -> URL
    {
        let url = try temporaryFile(store, session.did.rawValue, token: token)
        try writePrivate(try session.encoded(), to: url)
        return url
    }

    static func accountsListing(_ store: AccountStore) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: store.directory.appendingPathComponent("accounts").path)
            .sorted()
    }

    @Test("R24: a complete newer temporary file is adopted by the next withLock; load inside sees its tokens")
    func adoptsCompleteNewerTemporaryFile() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        let spent = try Self.session("did:plc:alice", refreshToken: "refresh-1")
        try store.save(spent)
        let next = try Self.session(
            "did:plc:alice", refreshToken: "refresh-2", refreshedAt: Self.loggedIn.addingTimeInterval(600),
            accessToken: "access-2")
        let leftover = try Self.leaveTemporaryFile(next, in: store)

        // Outside the lock, readers keep ignoring temporary files.
        #expect(try store.load(spent.did).refreshToken == "refresh-1")
        #expect(store.loadAll().sessions.map(\.refreshToken) == ["refresh-1"])
        #expect(store.loadAll().problems.isEmpty)

        let loaded = try await store.withLock(spent.did) { try store.load(spent.did) }
        #expect(loaded == next)
        #expect(loaded.refreshToken == "refresh-2")
        #expect(!FileManager.default.fileExists(atPath: leftover.path))
        #expect(try Self.accountsListing(store) == ["did:plc:alice.json"])
        #expect(permissions(of: store.accountFileURL(for: spent.did)) == 0o600)
        #expect(try store.load(spent.did) == next, "adopted for good, not just for the body")
    }

    @Test("R24: with no account file at all (first save killed), a complete temporary file is adopted")
    func adoptsWhenAccountFileMissing() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        let first = try Self.session("did:plc:new", refreshToken: "refresh-1")
        _ = try Self.leaveTemporaryFile(first, in: store)
        #expect(throws: AccountStoreError.self) { try store.load(first.did) }

        let loaded = try await store.withLock(first.did) { try store.load(first.did) }
        #expect(loaded == first)
        #expect(try Self.accountsListing(store) == ["did:plc:new.json"])
        #expect(permissions(of: store.accountFileURL(for: first.did)) == 0o600)
    }

    @Test("R24: an older (or same-time) complete temporary file is discarded; the account file is kept")
    func discardsOlderTemporaryFile() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        let current = try Self.session(
            "did:plc:alice", refreshToken: "refresh-3", refreshedAt: Self.loggedIn.addingTimeInterval(1200))
        try store.save(current)
        let older = try Self.session(
            "did:plc:alice", refreshToken: "refresh-2", refreshedAt: Self.loggedIn.addingTimeInterval(600))
        let olderFile = try Self.leaveTemporaryFile(older, in: store, token: "aa")
        var sameTime = current
        sameTime.dpopNonces = ["https://auth.example.com": "nonce-later"]
        let sameTimeFile = try Self.leaveTemporaryFile(sameTime, in: store, token: "bb")

        let loaded = try await store.withLock(current.did) { try store.load(current.did) }
        #expect(loaded == current)
        #expect(!FileManager.default.fileExists(atPath: olderFile.path))
        #expect(!FileManager.default.fileExists(atPath: sameTimeFile.path))
        #expect(try Self.accountsListing(store) == ["did:plc:alice.json"])
        #expect(permissions(of: store.accountFileURL(for: current.did)) == 0o600)
    }

    @Test("R24: several complete newer temporary files: the newest is adopted, the others removed")
    func adoptsNewestOfSeveral() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        try store.save(try Self.session("did:plc:alice", refreshToken: "refresh-1"))
        let middle = try Self.session(
            "did:plc:alice", refreshToken: "refresh-2", refreshedAt: Self.loggedIn.addingTimeInterval(600))
        let newest = try Self.session(
            "did:plc:alice", refreshToken: "refresh-3", refreshedAt: Self.loggedIn.addingTimeInterval(1200))
        _ = try Self.leaveTemporaryFile(newest, in: store, token: "1")
        _ = try Self.leaveTemporaryFile(middle, in: store, token: "ffffffffffffffff")

        let loaded = try await store.withLock(newest.did) { try store.load(newest.did) }
        #expect(loaded.refreshToken == "refresh-3")
        #expect(try Self.accountsListing(store) == ["did:plc:alice.json"])
    }

    @Test("a truncated or empty temporary file is removed and the account file survives")
    func removesTruncatedTemporaryFile() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        let current = try Self.session("did:plc:alice", refreshToken: "refresh-1")
        try store.save(current)
        let next = try Self.session(
            "did:plc:alice", refreshToken: "refresh-2", refreshedAt: Self.loggedIn.addingTimeInterval(600))
        let whole = try next.encoded()
        let truncated = try Self.temporaryFile(store, "did:plc:alice", token: "a1")
        try writePrivate(whole.prefix(whole.count / 2), to: truncated)
        let empty = try Self.temporaryFile(store, "did:plc:alice", token: "a2")
        try writePrivate(Data(), to: empty)

        let loaded = try await store.withLock(current.did) { try store.load(current.did) }
        #expect(loaded == current)
        #expect(try Self.accountsListing(store) == ["did:plc:alice.json"])
        #expect(permissions(of: store.accountFileURL(for: current.did)) == 0o600)
    }

    @Test("a temporary file we did not write (mode 0644, another DID inside, a symlink) is never adopted")
    func refusesForeignTemporaryFiles() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        let current = try Self.session("did:plc:alice", refreshToken: "refresh-1")
        try store.save(current)
        let later = Self.loggedIn.addingTimeInterval(600)

        let readable = try Self.leaveTemporaryFile(
            try Self.session("did:plc:alice", refreshToken: "from-0644", refreshedAt: later), in: store, token: "c1")
        setPermissions(readable, 0o644)
        let wrongDID = try Self.temporaryFile(store, "did:plc:alice", token: "c2")
        try writePrivate(
            try Self.session("did:plc:mallory", refreshToken: "from-mallory", refreshedAt: later).encoded(),
            to: wrongDID)
        let outside = temporary.root.appendingPathComponent("outside.json")
        try writePrivate(
            try Self.session("did:plc:alice", refreshToken: "from-symlink", refreshedAt: later).encoded(), to: outside)
        let link = try Self.temporaryFile(store, "did:plc:alice", token: "c3")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: outside)

        let loaded = try await store.withLock(current.did) { try store.load(current.did) }
        #expect(loaded == current)
        #expect(try Self.accountsListing(store) == ["did:plc:alice.json"])
        #expect(FileManager.default.fileExists(atPath: outside.path), "a symlink is removed, never its target")
    }

    @Test("a leftover that cannot be removed (a directory) does not stop the body; the account file survives")
    func recoveryErrorsDoNotBlockTheBody() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        let current = try Self.session("did:plc:alice", refreshToken: "refresh-1")
        try store.save(current)
        let directory = try Self.temporaryFile(store, "did:plc:alice", token: "d1")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        let corrupt = try Self.temporaryFile(store, "did:plc:alice", token: "d2")
        try writePrivate(Data("{\"version\": 1, \"did\": \"did:plc:alice\", \"refresh_token\": ".utf8), to: corrupt)

        let loaded = try await store.withLock(current.did) { try store.load(current.did) }
        #expect(loaded == current)
        #expect(!FileManager.default.fileExists(atPath: corrupt.path))
        #expect(try store.load(current.did) == current)
        #expect(permissions(of: store.accountFileURL(for: current.did)) == 0o600)
    }

    @Test("an account file that cannot be read is left as it is, temporary files too; load reports it")
    func unreadableAccountFileLeftAlone() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        let current = try Self.session("did:plc:alice", refreshToken: "refresh-1")
        try store.save(current)
        let file = store.accountFileURL(for: current.did)
        setPermissions(file, 0o644)
        let leftover = try Self.leaveTemporaryFile(
            try Self.session(
                "did:plc:alice", refreshToken: "refresh-2", refreshedAt: Self.loggedIn.addingTimeInterval(600)),
            in: store)

        let error = await #expect(throws: AccountStoreError.self) {
            try await store.withLock(current.did) { try store.load(current.did) }
        }
        #expect(error?.code == .insecurePermissions)
        #expect(permissions(of: file) == 0o644, "not silently fixed or replaced")
        #expect(FileManager.default.fileExists(atPath: leftover.path))
    }

    @Test("a temporary file written by a newer atproto-oauth is kept for it")
    func newerFormatTemporaryFileKept() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        let current = try Self.session("did:plc:alice", refreshToken: "refresh-1")
        try store.save(current)
        var object = try #require(try JSONDecoder().decode(JSONValue.self, from: current.encoded()).objectValue)
        object["version"] = .number(Double(Session.currentVersion + 1))
        let future = try Self.temporaryFile(store, "did:plc:alice")
        try writePrivate(try JSONEncoder().encode(JSONValue.object(object)), to: future)

        let loaded = try await store.withLock(current.did) { try store.load(current.did) }
        #expect(loaded == current)
        #expect(FileManager.default.fileExists(atPath: future.path))
    }

    @Test("another account's temporary files are never touched, even one whose name starts like ours")
    func otherAccountsUntouched() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        let alice = try Self.session("did:web:alice.test", refreshToken: "alice-1")
        let bob = try Self.session("did:plc:bob", refreshToken: "bob-1")
        try store.save(alice)
        try store.save(bob)
        let later = Self.loggedIn.addingTimeInterval(600)
        let bobNewer = try Self.leaveTemporaryFile(
            try Self.session("did:plc:bob", refreshToken: "bob-2", refreshedAt: later), in: store)
        let bobTruncated = try Self.temporaryFile(store, "did:plc:bob", token: "e1")
        try writePrivate(Data("{\"ver".utf8), to: bobTruncated)
        // `did:web:alice.test.json.evil`'s files start with ".did:web:alice.test.json." too.
        let lookalike = try Self.leaveTemporaryFile(
            try Self.session("did:web:alice.test.json.evil", refreshToken: "evil-2", refreshedAt: later), in: store,
            token: "e2")
        #expect(lookalike.lastPathComponent.hasPrefix(".did:web:alice.test.json."))

        let loaded = try await store.withLock(alice.did) { try store.load(alice.did) }
        #expect(loaded == alice)
        for url in [bobNewer, bobTruncated, lookalike] {
            #expect(FileManager.default.fileExists(atPath: url.path), "\(url.lastPathComponent)")
            #expect(permissions(of: url) == 0o600)
        }
        #expect(try store.load(bob.did) == bob)

        // Bob's own next lock adopts his newer file.
        #expect(try await store.withLock(bob.did) { try store.load(bob.did) }.refreshToken == "bob-2")
        #expect(FileManager.default.fileExists(atPath: lookalike.path))
    }

    @Test("save sweeps only its own account's stale temporary files, never another account's")
    func saveSweepsOnlyOwnAccount() throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        let old = Date().addingTimeInterval(-3600)
        let mine = try Self.temporaryFile(store, "did:plc:x", token: "aa")
        let theirs = try Self.leaveTemporaryFile(
            try Self.session("did:plc:y", refreshToken: "y-2", refreshedAt: Self.loggedIn), in: store, token: "bb")
        try writePrivate(Data("x".utf8), to: mine)
        for url in [mine, theirs] {
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: url.path)
        }
        try store.save(try Self.session("did:plc:x", refreshToken: "x-1"))
        #expect(!FileManager.default.fileExists(atPath: mine.path))
        #expect(FileManager.default.fileExists(atPath: theirs.path))
    }
}
