import ATProtoOAuth
import ATProtoPostgresStore
import ATProtoPostgresTestSupport
import Foundation
import Testing

/// The PostgreSQL store's own rules: schema versions, the key, timeouts and the URL.
@Suite("PostgreSQL session store", .enabled(if: !PostgresTestServer.skipped), .timeLimit(.minutes(1)))
struct PostgresSessionStoreTests {
    private func store(_ url: String, key: String = StoreUnderTest.testKey) throws -> PostgresSessionStore {
        try PostgresSessionStore(
            configuration: try PostgresStoreConfiguration(url: url), key: try StoreKey(base64: key))
    }

    private func withDatabase(_ body: (String) async throws -> Void) async throws {
        let url = try await PostgresTestServer.freshDatabase(prefix: "pgstore")
        do {
            try await body(url)
            await PostgresTestServer.drop(url)
        } catch {
            await PostgresTestServer.drop(url)
            throw error
        }
    }

    @Test("the schema is created once, recorded as version 1; a newer schema is refused untouched")
    func schemaVersions() async throws {
        try await withDatabase { url in
            let first = try store(url)
            let second = try store(url)
            async let a: Void = first.prepare()
            async let b: Void = second.prepare()
            _ = try await (a, b)
            try await first.save(try Sessions.make(did: "did:plc:alice"))
            await first.shutdown()
            await second.shutdown()

            try await PostgresTestServer.execute("INSERT INTO atproto_oauth_schema (version) VALUES (99)", on: url)
            let newer = try store(url)
            defer { Task { await newer.shutdown() } }
            let error = await #expect(throws: PostgresStoreError.self) { try await newer.list() }
            #expect(error?.code == .newerSchema)
            #expect(error?.description.contains("99") == true)
        }
    }

    @Test("a wrong key is a clear error that loses nothing: load and list refuse, save does not overwrite")
    func wrongKey() async throws {
        try await withDatabase { url in
            let right = try store(url)
            let session = try Sessions.make(did: "did:plc:alice", handle: "alice.test", accessToken: "kept")
            try await right.save(session)
            let otherKey = Data(repeating: 7, count: 32).base64EncodedString()
            let wrong = try store(url, key: otherKey)
            let loadError = await #expect(throws: PostgresStoreError.self) { try await wrong.load(session.did) }
            #expect(loadError?.code == .wrongKey)
            let listing = try await wrong.list()
            #expect(listing.sessions.isEmpty && listing.problems.count == 1)
            var replacement = session
            replacement.accessToken = "overwritten"
            let saveError = await #expect(throws: PostgresStoreError.self) { try await wrong.save(replacement) }
            #expect(saveError?.code == .wrongKey)
            #expect(try await right.load(session.did).accessToken == "kept")
            await wrong.shutdown()
            await right.shutdown()
        }
    }

    @Test("secrets are not stored in the clear; the queryable columns are")
    func sealedAtRest() async throws {
        try await withDatabase { url in
            let store = try store(url)
            let session = try Sessions.make(did: "did:plc:alice", handle: "alice.test", accessToken: "SECRET-ACCESS")
            try await store.save(session)
            // The check runs in SQL: a row whose sealed bytes contain a secret makes it fail.
            try await PostgresTestServer.execute(
                """
                DO $$ BEGIN
                  IF EXISTS (SELECT 1 FROM atproto_oauth_sessions
                             WHERE position('SECRET-ACCESS'::bytea IN sealed) > 0
                                OR position('refresh-0'::bytea IN sealed) > 0) THEN
                    RAISE EXCEPTION 'secret in the clear';
                  END IF;
                  IF NOT EXISTS (SELECT 1 FROM atproto_oauth_sessions
                                 WHERE did = 'did:plc:alice' AND handle = 'alice.test'
                                   AND pds = 'https://pds.example.com' AND issuer = 'https://auth.example.com'
                                   AND needs_login = false AND expires_at > '2020-01-01') THEN
                    RAISE EXCEPTION 'queryable columns missing';
                  END IF;
                END $$
                """, on: url)
            await store.shutdown()
        }
    }

    @Test("a session moved onto another DID's row does not decrypt (the DID is authenticated)")
    func rowsAreBound() async throws {
        try await withDatabase { url in
            let store = try store(url)
            try await store.save(try Sessions.make(did: "did:plc:alice"))
            try await store.save(try Sessions.make(did: "did:plc:bob"))
            try await PostgresTestServer.execute(
                """
                UPDATE atproto_oauth_sessions SET sealed = (SELECT sealed FROM atproto_oauth_sessions
                WHERE did = 'did:plc:alice') WHERE did = 'did:plc:bob'
                """, on: url)
            let error = await #expect(throws: PostgresStoreError.self) { try await store.load(DID("did:plc:bob")) }
            #expect(error?.code == .wrongKey)
            await store.shutdown()
        }
    }

    @Test("a lock whose holder's connection dies is released at once")
    func lockFreedWhenHolderDies() async throws {
        try await withDatabase { url in
            let holder = try store(url)
            let other = try store(url)
            let did = try DID("did:plc:crash")
            let (entered, signal) = AsyncStream.makeStream(of: Void.self)
            _ = try await other.list()  // connected and prepared before the race
            let task = Task {
                defer { signal.finish() }
                try await holder.withLock(did, timeout: .seconds(5)) {
                    signal.yield()
                    signal.finish()
                    try await Task.sleep(for: .seconds(30))
                }
            }
            for await _ in entered { break }
            // Stand-in for SIGKILL of the holding process: the server ends its connection.
            try await PostgresTestServer.execute(
                """
                SELECT pg_terminate_backend(pid) FROM pg_locks
                WHERE locktype = 'advisory' AND granted AND classid = \(PostgresSessionStore.lockNamespace)
                  AND objid <> 0 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """, on: url)
            // Taken within the timeout only if the server freed the dead holder's lock (the holder
            // task itself still waits inside its body).
            try await other.withLock(did, timeout: .seconds(5)) {}
            task.cancel()
            _ = await task.result
            await holder.shutdown()
            await other.shutdown()
        }
    }

    @Test("a database that is down is a clear error within the connect timeout, not a hang")
    func databaseDown() async throws {
        let url = "postgres://nobody:pw@127.0.0.1:1/none?sslmode=disable&connect_timeout=1"
        let store = try store(url)
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: PostgresStoreError.self) { try await store.list() }
        // Bounded, not hanging: the 1 s connect timeout plus generous slack for a loaded machine.
        #expect(clock.now - start < .seconds(30))
        #expect(error?.code == .unavailable)
        #expect(error?.description.contains("127.0.0.1") == true)
        #expect(error?.description.contains("pw") == false)
        await store.shutdown()
    }

    @Test("the default account is kept, and cleared when its session is deleted")
    func defaultAccount() async throws {
        try await withDatabase { url in
            let store = try store(url)
            let session = try Sessions.make(did: "did:plc:alice")
            try await store.save(session)
            #expect(await store.defaultAccount() == nil)
            try await store.setDefault(session.did)
            #expect(await store.defaultAccount() == session.did)
            try await store.delete(session.did)
            #expect(await store.defaultAccount() == nil)
            await store.shutdown()
        }
    }
}

/// Parsing the store URL and the key: no server needed.
@Suite("PostgreSQL store settings")
struct PostgresStoreSettingsTests {
    @Test("a postgres:// URL: parts, defaults, PGPASSWORD, and no password in the description")
    func url() throws {
        let full = try PostgresStoreConfiguration(
            url: "postgres://me:s%40cret@db.example:6543/sessions?sslmode=require&pool_max=3&query_timeout=2",
            environment: [:])
        #expect(full.host == "db.example" && full.port == 6543 && full.username == "me")
        #expect(full.password == "s@cret" && full.database == "sessions")
        #expect(full.sslMode == .require && full.maximumConnections == 3 && full.queryTimeout == .seconds(2))
        #expect(full.description == "postgres://me@db.example:6543/sessions")
        let bare = try PostgresStoreConfiguration(url: "postgresql://me@db", environment: ["PGPASSWORD": "env"])
        #expect(bare.password == "env" && bare.database == "me" && bare.port == 5432 && bare.sslMode == .prefer)
        #expect(throws: PostgresStoreError.self) { try PostgresStoreConfiguration(url: "postgres://me@db?sslmod=x") }
        #expect(throws: PostgresStoreError.self) { try PostgresStoreConfiguration(url: "postgres://db/x") }
        #expect(
            PostgresStoreConfiguration.isPostgresURL("POSTGRES://x")
                && !PostgresStoreConfiguration.isPostgresURL("/tmp/x"))
    }

    @Test("keys: 32 bytes of base64; a key file must be 0600 and is never replaced; errors never echo the key")
    func keys() throws {
        #expect(throws: PostgresStoreError.self) { try StoreKey(base64: Data(count: 16).base64EncodedString()) }
        let error = #expect(throws: PostgresStoreError.self) { try StoreKey(base64: "not-base64-SECRETISH") }
        #expect(error?.description.contains("SECRETISH") == false)
        let missing = #expect(throws: PostgresStoreError.self) { try StoreKey.resolve(file: nil, environment: [:]) }
        #expect(missing?.code == .missingKey)

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("key-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let written = try StoreKey.writeNew(to: path)
        #expect(try StoreKey.read(file: path).identifier == written.identifier)
        #expect(throws: PostgresStoreError.self) { try StoreKey.writeNew(to: path) }
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let loose = #expect(throws: PostgresStoreError.self) { try StoreKey.read(file: path) }
        #expect(loose?.code == .invalidKey)
        let fromEnvironment = try StoreKey.resolve(
            file: nil, environment: [StoreKey.environmentVariable: written.base64])
        #expect(fromEnvironment.identifier == written.identifier)
    }
}
