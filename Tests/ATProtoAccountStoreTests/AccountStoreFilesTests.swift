import ATProtoAccountStore
import ATProtoOAuth
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Files on disk (DESIGN.md): 0700 directories, 0600 files, atomic writes, refusal of files
/// others can read, a corrupt file reported by name without hiding the others.
@Suite("AccountStore files")
struct AccountStoreFilesTests {
    @Test("save then load returns the same session, secrets included")
    func roundTrip() throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let session = try SessionFactory.make(did: "did:plc:alice234567abcdefghijkl", handle: "alice.test")
        try temporary.store.save(session)
        let loaded = try temporary.store.load(session.did)
        #expect(loaded == session)
        #expect(loaded.dpopKey.d == session.dpopKey.d)
        #expect(
            temporary.store.accountFileURL(for: session.did).lastPathComponent == "did:plc:alice234567abcdefghijkl.json"
        )
    }

    @Test("the store directory, accounts/ and locks/ are 0700; session and config files 0600")
    func modes() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        let session = try SessionFactory.make(did: "did:plc:modes", handle: "modes.test")
        try store.save(session)
        try store.setDefault(session.did)
        try await store.withLock(session.did) {}
        #expect(permissions(of: store.directory) == 0o700)
        #expect(permissions(of: store.directory.appendingPathComponent("accounts")) == 0o700)
        #expect(permissions(of: store.directory.appendingPathComponent("locks")) == 0o700)
        #expect(permissions(of: store.accountFileURL(for: session.did)) == 0o600)
        #expect(permissions(of: store.directory.appendingPathComponent("config.json")) == 0o600)
        #expect(permissions(of: store.lockFileURL(for: session.did)) == 0o600)
    }

    @Test("files are 0600 and directories 0700 even under a permissive umask")
    func modesUnderPermissiveUmask() throws {
        let old = umask(0)
        defer { umask(old) }
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let session = try SessionFactory.make(did: "did:plc:umask")
        try temporary.store.save(session)
        #expect(permissions(of: temporary.store.directory) == 0o700)
        #expect(permissions(of: temporary.store.accountFileURL(for: session.did)) == 0o600)
    }

    @Test("a session file readable by group/others (0644) is refused, naming the file and the chmod")
    func refusesGroupReadableFile() throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let session = try SessionFactory.make(did: "did:plc:leaky", handle: "leaky.test")
        try temporary.store.save(session)
        let file = temporary.store.accountFileURL(for: session.did)
        setPermissions(file, 0o644)

        let error = try #require(throws: AccountStoreError.self) { try temporary.store.load(session.did) }
        #expect(error.code == .insecurePermissions)
        #expect(error.path == "accounts/did:plc:leaky.json")
        #expect(error.description.contains("mode 0644"))
        #expect(error.description.contains("chmod 600 \(file.path)"))

        let listing = temporary.store.loadAll()
        #expect(listing.sessions.isEmpty)
        #expect(listing.problems.map(\.file) == ["accounts/did:plc:leaky.json"])
        #expect(FileManager.default.fileExists(atPath: file.path), "never deleted")
    }

    @Test("an existing store directory with mode 0755 is refused with chmod 700")
    func refusesOpenDirectory() throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        setPermissions(temporary.store.directory, 0o755)
        let error = try #require(throws: AccountStoreError.self) {
            try AccountStore(directory: temporary.store.directory)
        }
        #expect(error.code == .insecurePermissions)
        #expect(error.description.contains(temporary.store.directory.path))
        #expect(error.description.contains("mode 0755"))
        #expect(error.description.contains("chmod 700 \(temporary.store.directory.path)"))
    }

    @Test("an accounts/ directory others can enter is refused too")
    func refusesOpenAccountsDirectory() throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        setPermissions(temporary.store.directory.appendingPathComponent("accounts"), 0o711)
        let error = try #require(throws: AccountStoreError.self) {
            try AccountStore(directory: temporary.store.directory)
        }
        #expect(error.code == .insecurePermissions)
        #expect(error.path == "accounts/")
    }

    @Test("a store directory owned by another user is refused", .enabled(if: geteuid() == 0, "needs root to chown"))
    func refusesForeignDirectory() throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        #expect(chown(temporary.store.directory.path, 65534, 65534) == 0)
        let error = try #require(throws: AccountStoreError.self) {
            try AccountStore(directory: temporary.store.directory)
        }
        #expect(error.code == .wrongOwner)
    }

    @Test("a missing store directory is created with missing parents")
    func createsMissingDirectories() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("accountstore-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let store = try AccountStore(directory: root.appendingPathComponent("a/b/atproto-oauth"))
        #expect(permissions(of: store.directory) == 0o700)
        // Opening it again is fine.
        _ = try AccountStore(directory: store.directory)
    }

    @Test("a corrupt file is reported by name and the other accounts still load")
    func corruptFileDoesNotHideOthers() throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        try store.save(try SessionFactory.make(did: "did:plc:good1", handle: "bob.test"))
        try store.save(try SessionFactory.make(did: "did:plc:good2", handle: "alice.test"))
        let corrupt = store.accountFileURL(for: try DID("did:plc:broken"))
        try writePrivate(Data("{\"version\": 1, \"did\": ".utf8), to: corrupt)
        let empty = store.accountFileURL(for: try DID("did:plc:empty"))
        try writePrivate(Data(), to: empty)

        let listing = store.loadAll()
        #expect(listing.sessions.map(\.handle?.rawValue) == ["alice.test", "bob.test"], "sorted by handle")
        #expect(listing.problems.map(\.file) == ["accounts/did:plc:broken.json", "accounts/did:plc:empty.json"])
        #expect(listing.problems.allSatisfy { $0.error.code == .corruptFile })
        #expect(FileManager.default.fileExists(atPath: corrupt.path), "never deleted")

        let error = try #require(throws: AccountStoreError.self) { try store.load(try DID("did:plc:broken")) }
        #expect(error.code == .corruptFile)
        #expect(error.path == "accounts/did:plc:broken.json")
    }

    @Test("a session that does not decode names the missing field, not its contents")
    func invalidSessionDocument() throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let file = temporary.store.accountFileURL(for: try DID("did:plc:partial"))
        try writePrivate(Data(#"{"version": 1, "did": "did:plc:partial", "access_token": "SECRET"}"#.utf8), to: file)
        let listing = temporary.store.loadAll()
        let problem = try #require(listing.problems.first)
        #expect(problem.file == "accounts/did:plc:partial.json")
        #expect(problem.error.code == .corruptFile)
        #expect(!problem.reason.contains("SECRET"))
    }

    @Test("a file from a newer atproto-oauth is refused, not guessed at, and the others still load")
    func newerVersionRefused() throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        try store.save(try SessionFactory.make(did: "did:plc:current", handle: "current.test"))
        let future = try SessionFactory.make(did: "did:plc:future", handle: "future.test")
        var object = try #require(try JSONDecoder().decode(JSONValue.self, from: future.encoded()).objectValue)
        object["version"] = .number(Double(Session.currentVersion + 1))
        object["new_member"] = .string("something v2 needs")
        try writePrivate(try JSONEncoder().encode(JSONValue.object(object)), to: store.accountFileURL(for: future.did))

        let error = try #require(throws: AccountStoreError.self) { try store.load(future.did) }
        #expect(error.code == .newerVersion)
        #expect(error.description.contains("written by a newer atproto-oauth"))
        let listing = store.loadAll()
        #expect(listing.sessions.map(\.did.rawValue) == ["did:plc:current"])
        #expect(listing.problems.map(\.error.code) == [.newerVersion])
    }

    @Test("a file whose DID does not match its name is reported, not loaded under the wrong name")
    func misnamedFile() throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        let session = try SessionFactory.make(did: "did:plc:real")
        try store.save(session)
        let wrong = store.accountFileURL(for: try DID("did:plc:other"))
        #expect(rename(store.accountFileURL(for: session.did).path, wrong.path) == 0)
        let listing = store.loadAll()
        #expect(listing.sessions.isEmpty)
        #expect(listing.problems.map(\.file) == ["accounts/did:plc:other.json"])
        #expect(throws: AccountStoreError.self) { try store.load(try DID("did:plc:other")) }
    }

    @Test("a symbolic link in accounts/ is refused, not followed")
    func symlinkRefused() throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        let session = try SessionFactory.make(did: "did:plc:target")
        try store.save(session)
        let outside = temporary.root.appendingPathComponent("elsewhere.json")
        try FileManager.default.copyItem(at: store.accountFileURL(for: session.did), to: outside)
        let link = store.accountFileURL(for: try DID("did:plc:linked"))
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: outside)
        let error = try #require(throws: AccountStoreError.self) { try store.load(try DID("did:plc:linked")) }
        #expect(error.code == .notARegularFile)
    }

    @Test("a temporary file left by a killed save is ignored by loadAll")
    func strayTemporaryFileIgnored() throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        let session = try SessionFactory.make(did: "did:plc:survivor", handle: "survivor.test")
        try store.save(session)
        // What a process killed between write and rename leaves: a half-written hidden file.
        let accounts = store.directory.appendingPathComponent("accounts")
        let stray = accounts.appendingPathComponent(".did:plc:survivor.json.0123456789abcdef.tmp")
        try writePrivate(Data("{\"version\": 1, \"did\": \"did:pl".utf8), to: stray)

        let listing = store.loadAll()
        #expect(listing.sessions == [session])
        #expect(listing.problems.isEmpty)
        #expect(try store.load(session.did) == session)
    }

    @Test("save removes temporary files older than ten minutes, keeps young ones")
    func staleTemporaryFilesSwept() throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        let accounts = store.directory.appendingPathComponent("accounts")
        let old = accounts.appendingPathComponent(".did:plc:x.json.00000000000000aa.tmp")
        let young = accounts.appendingPathComponent(".did:plc:x.json.00000000000000bb.tmp")
        try writePrivate(Data("x".utf8), to: old)
        try writePrivate(Data("x".utf8), to: young)
        try FileManager.default.setAttributes(
            [.modificationDate: Date().addingTimeInterval(-3600)], ofItemAtPath: old.path)
        try store.save(try SessionFactory.make(did: "did:plc:x"))
        #expect(!FileManager.default.fileExists(atPath: old.path))
        #expect(FileManager.default.fileExists(atPath: young.path))
    }

    @Test("concurrent saves of different content: the file always decodes to one of them in full")
    func concurrentSavesAreAtomic() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        let did = try DID("did:plc:contended")
        let versions = try (0..<8).map { writer in
            // Different lengths too, so a torn write could not masquerade as a valid file.
            try SessionFactory.make(
                did: did.rawValue, handle: "contended.test",
                accessToken: "access-\(writer)-" + String(repeating: "x", count: 200 * writer))
        }
        try store.save(versions[0])
        let expected = Set(versions.map(\.accessToken))

        // Saves fsync twice each: they run on threads of their own, never on the cooperative
        // pool every other test shares (on 2 cores, 8 writers there stalled the suite ~15 s).
        let readFailures = try await withThrowingTaskGroup(of: Int.self) { group in
            for writer in versions {
                group.addTask {
                    try await Self.onThread {
                        for _ in 0..<15 { try store.save(writer) }
                        return 0
                    }
                }
            }
            group.addTask {
                try await Self.onThread {
                    var failures = 0
                    for _ in 0..<300 {
                        guard let loaded = try? store.load(did), expected.contains(loaded.accessToken) else {
                            failures += 1
                            continue
                        }
                    }
                    return failures
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(readFailures == 0)
        #expect(expected.contains(try store.load(did).accessToken))
        let leftovers = try FileManager.default.contentsOfDirectory(
            atPath: store.directory.appendingPathComponent("accounts").path)
        #expect(leftovers == ["did:plc:contended.json"], "no temporary files left behind")
    }

    @Test("defaultDirectory: ATPROTO_OAUTH_HOME, then XDG_STATE_HOME, then ~/.local/state")
    func defaultDirectory() {
        #expect(
            AccountStore.defaultDirectory(environment: ["ATPROTO_OAUTH_HOME": "/srv/oauth", "XDG_STATE_HOME": "/x"])
                .path
                == "/srv/oauth")
        #expect(
            AccountStore.defaultDirectory(environment: ["XDG_STATE_HOME": "/x/state", "HOME": "/home/me"]).path
                == "/x/state/atproto-oauth")
        #expect(
            AccountStore.defaultDirectory(environment: ["HOME": "/home/me"]).path
                == "/home/me/.local/state/atproto-oauth")
        #expect(
            AccountStore.defaultDirectory(environment: [
                "ATPROTO_OAUTH_HOME": "", "XDG_STATE_HOME": "rel", "HOME": "/h",
            ])
            .path == "/h/.local/state/atproto-oauth", "empty and relative values count as unset")
    }

    @Test("a DID too long for a file name is stored under a hashed name and still loads")
    func overlongDID() throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let long = "did:web:" + Array(repeating: "a", count: 300).joined()
        let session = try SessionFactory.make(did: long)
        try temporary.store.save(session)
        let name = temporary.store.accountFileURL(for: session.did).lastPathComponent
        #expect(name.hasPrefix("did-sha256-") && name.utf8.count <= 255)
        #expect(try temporary.store.load(session.did) == session)
        #expect(temporary.store.loadAll().sessions == [session])
    }
}

/// Writes a file with mode 0600 directly, as a hand edit or another program would.
func writePrivate(_ data: Data, to url: URL) throws {
    try data.write(to: url)
    setPermissions(url, 0o600)
}

extension AccountStoreFilesTests {
    /// Runs blocking work on a thread of its own and awaits its result.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}
