import ATProtoPostgresTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The PostgreSQL store through the built binary, against the dev network with 1 s access
/// tokens (every `token` refreshes): processes that share only the database (each its own
/// HOME), a holder killed with SIGKILL, and `store move`. (The database stopped mid-run is
/// covered by the store's own tests: bounded errors, nothing lost.)
@Suite("PostgreSQL store end to end", .serialized, .enabled(if: !PostgresTestServer.skipped), .timeLimit(.minutes(2)))
struct PostgresStoreEndToEndTests {
    /// One fresh database and a key file, as a process with its own HOME sees them.
    struct Shared {
        let url: String
        let keyFile: String

        /// `--store URL --store-key-file KEY` plus the dev network's flags.
        func flags(_ harness: CLIHarness) -> [String] {
            ["--store", url, "--store-key-file", keyFile] + harness.server.clientFlags
        }
    }

    private func withShared(_ harness: CLIHarness, url: String? = nil, _ body: (Shared) async throws -> Void)
        async throws
    {
        let databaseURL: String
        if let url {
            databaseURL = url
        } else {
            databaseURL = try await PostgresTestServer.freshDatabase(prefix: "e2e")
        }
        let keyFile = harness.home.root.appendingPathComponent("store.key").path
        let made = try await CLI.run(["store", "init-key", keyFile], environment: harness.environment(browser: nil))
        try #require(made.exitCode == 0, "\(made)")
        do {
            try await body(Shared(url: databaseURL, keyFile: keyFile))
            if url == nil { await PostgresTestServer.drop(databaseURL) }
        } catch {
            if url == nil { await PostgresTestServer.drop(databaseURL) }
            throw error
        }
    }

    /// Runs the binary as another "machine": its own HOME and temp dir, only the database shared.
    private func runElsewhere(_ arguments: [String], timeout: Duration = .seconds(40)) async throws -> CLIResult {
        let home = try TestHome()
        defer { home.cleanUp() }
        var environment = CLI.environment(home: home.root)
        environment["TMPDIR"] = home.root.path
        return try await CLI.run(arguments, environment: environment, timeout: timeout)
    }

    private func login(_ handle: String, _ harness: CLIHarness, _ shared: Shared) async throws {
        let result = try await CLI.run(
            ["login", handle, "--json", "--callback-timeout", "20"] + shared.flags(harness),
            environment: harness.environment(browser: .follow), timeout: .seconds(40))
        try #require(result.exitCode == 0, "\(result)\n\(harness.home.browserLogText)")
    }

    @Test("R24: 3 processes sharing only the database × 25 token runs → zero invalid_grant, the account still valid")
    func threeProcesses() async throws {
        try await withHarness(["--auto-approve", "--access-ttl", "1"]) { harness in
            try await withShared(harness) { shared in
                try await login("alice.test", harness, shared)
                let results = try await withThrowingTaskGroup(of: [CLIResult].self) { group in
                    for _ in 0..<3 {
                        group.addTask {
                            var results: [CLIResult] = []
                            for _ in 0..<25 {
                                results.append(try await runElsewhere(["token", "alice.test"] + shared.flags(harness)))
                            }
                            return results
                        }
                    }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
                #expect(results.count == 75)
                let failed = results.filter { $0.exitCode != 0 }
                #expect(
                    failed.isEmpty,
                    "\(failed.count) runs failed; first:\n\(failed.first.map(String.init(describing:)) ?? "")")
                #expect(!results.contains { $0.allOutput.contains("invalid_grant") })
                #expect(!harness.server.stderr.contains("replay"))
                let status = try await runElsewhere(["status", "alice.test", "--json"] + shared.flags(harness))
                #expect(status.exitCode == 0, "\(status)")
                #expect(!status.stdout.contains("needs-login"))
            }
        }
    }

    @Test("a process killed with SIGKILL while holding the lock: the next refresh proceeds within the timeout")
    func killedHolder() async throws {
        // Slow responses keep the refresh inside the lock long enough to kill it there — while it
        // re-resolves the DID (R21), before the single-use refresh token is sent.
        try await withHarness(["--auto-approve", "--access-ttl", "1", "--latency-ms", "1500"]) { harness in
            try await withShared(harness) { shared in
                try await login("alice.test", harness, shared)
                try await Task.sleep(for: .seconds(1.2))  // the access token has expired
                let holder = try CLI.spawn(
                    ["token", "alice.test"] + shared.flags(harness), environment: harness.environment(browser: nil))
                let deadline = ContinuousClock.now + .seconds(20)
                var held = false
                while ContinuousClock.now < deadline, holder.isRunning, !held {
                    held = try await advisoryLockHeld(shared.url)
                    if !held { try await Task.sleep(for: .milliseconds(20)) }
                }
                try #require(held, "the token run never took the lock")
                holder.signal(SIGKILL)
                let killed = await holder.wait(timeout: .seconds(5))
                #expect(killed.signalled)
                let clock = ContinuousClock()
                let start = clock.now
                let next = try await runElsewhere(
                    ["token", "alice.test"] + shared.flags(harness), timeout: .seconds(60))
                #expect(next.exitCode == 0, "\(next)")
                #expect(clock.now - start < .seconds(30))
            }
        }
    }

    @Test(
        "store move file → PostgreSQL → file, and a move killed with SIGKILL then run again: each account in exactly one store"
    )
    func move() async throws {
        try await withHarness(["--auto-approve", "--access-ttl", "1"]) { harness in
            try await withShared(harness) { shared in
                let files = harness.home.store.path
                let fileFlags = ["--store", files] + harness.server.clientFlags
                for handle in ["alice.test", "bob.test", "carol.test"] { try await harness.loggedIn(handle) }

                let there = try await harness.run([
                    "store", "move", "--to", shared.url, "--to-key-file", shared.keyFile,
                ])
                #expect(there.exitCode == 0, "\(there)")
                #expect(harness.accountFiles().isEmpty)
                let inDatabase = try await runElsewhere(["accounts", "--json"] + shared.flags(harness))
                #expect(["alice.test", "bob.test", "carol.test"].allSatisfy { inDatabase.stdout.contains($0) })
                let token = try await runElsewhere(["token", "bob.test"] + shared.flags(harness))
                #expect(token.exitCode == 0, "\(token)")

                // Back, killed after its first account; then run again to finish.
                let mover = try CLI.spawn(
                    ["store", "move", "--to", files] + shared.flags(harness),
                    environment: harness.environment(browser: nil))
                let deadline = ContinuousClock.now + .seconds(20)
                while ContinuousClock.now < deadline, mover.isRunning, !mover.stdout.contains("moved") {
                    try await Task.sleep(for: .milliseconds(2))
                }
                mover.signal(SIGKILL)
                _ = await mover.wait(timeout: .seconds(5))
                let afterKill = try await accountsIn(files: fileFlags, shared: shared, harness)
                #expect(afterKill.count >= 3, "an account was lost: \(afterKill)")
                let finish = try await CLI.run(
                    ["store", "move", "--to", files] + shared.flags(harness),
                    environment: harness.environment(browser: nil))
                #expect(finish.exitCode == 0, "\(finish)")
                let final = try await accountsIn(files: fileFlags, shared: shared, harness)
                #expect(final.sorted() == ["file:alice.test", "file:bob.test", "file:carol.test"], "\(final)")
                for handle in ["alice.test", "bob.test", "carol.test"] {
                    let result = try await harness.run(["token", handle])
                    #expect(result.exitCode == 0, "\(result)")
                }
            }
        }
    }

    /// `file:<handle>` / `db:<handle>` for every account found in either store.
    private func accountsIn(files: [String], shared: Shared, _ harness: CLIHarness) async throws -> [String] {
        var found: [String] = []
        for (label, flags) in [("file", files), ("db", shared.flags(harness))] {
            let result = try await runElsewhere(["accounts", "--json"] + flags)
            let document = try #require(try result.json() as? [String: Any], "\(result)")
            let accounts = try #require(document["accounts"] as? [[String: Any]])
            found += accounts.compactMap { $0["handle"] as? String }.map { "\(label):\($0)" }
        }
        return found
    }

    /// Whether some connection holds one of the store's account locks in `url`'s database.
    private func advisoryLockHeld(_ url: String) async throws -> Bool {
        do {
            try await PostgresTestServer.execute(
                """
                DO $$ BEGIN
                  IF NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
                      AND classid = 1635020911 AND objid <> 0
                      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) THEN
                    RAISE EXCEPTION 'not held';
                  END IF;
                END $$
                """, on: url)
            return true
        } catch {
            return false
        }
    }
}
