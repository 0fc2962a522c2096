import ATProtoPostgresTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The PostgreSQL store through the built binary, against the dev network with 1 s access
/// tokens (every `token` refreshes): processes that share only the database (each its own
/// HOME), a holder killed with SIGKILL, the database stopped mid-run, and `store move`.
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
        "the database stopped mid-run: accounts, token and refresh --all end with exit 6 naming the unreachable store; once it is back every account loads",
        .enabled(if: PostgresTestServer.cluster != nil))
    func databaseStopped() async throws {
        let script = try #require(PostgresTestServer.cluster).script
        // A cluster of its own, from the same script: the shared one serves the other suites'
        // PostgreSQL cases, which run in parallel with this one.
        try await PostgresTestCluster.with(script: script) { cluster in
            try await withHarness(["--auto-approve", "--access-ttl", "1"]) { harness in
                try await withShared(harness, url: cluster.url + "&connect_timeout=2") { shared in
                    for handle in ["alice.test", "bob.test"] { try await login(handle, harness, shared) }
                    let before = try await listed(shared, harness)
                    try #require(before.handles == ["alice.test", "bob.test"], "\(before.result)")
                    let storeKey = try String(contentsOfFile: shared.keyFile, encoding: .utf8)
                        .trimmingCharacters(in: .whitespacesAndNewlines)
                    try #require(!storeKey.isEmpty)

                    let commands = [["accounts", "--json"], ["token", "alice.test"], ["refresh", "--all"]]
                    let whileDown = try await cluster.whileHalted {
                        var results: [CLIResult] = []
                        for command in commands {
                            // Never a hang: a run still going after the timeout is killed, and says so.
                            results.append(
                                try await runElsewhere(command + shared.flags(harness), timeout: .seconds(30)))
                        }
                        return results
                    }
                    for result in whileDown {
                        #expect(!result.signalled, "\(result)")
                        #expect(result.exitCode == 6, "\(result)")
                        // It names the store and the server it cannot reach…
                        #expect(result.stderr.contains("postgres store:"), "\(result)")
                        #expect(result.stderr.contains("127.0.0.1:\(cluster.port)"), "\(result)")
                        // …and no secret: not the database password, not the store key.
                        #expect(!result.allOutput.contains(cluster.password), "\(result)")
                        #expect(!result.allOutput.contains(storeKey), "\(result)")
                    }
                    let token = try #require(whileDown.first { $0.arguments.first == "token" })
                    #expect(token.stdout.isEmpty, "a failed token run printed something: \(token)")

                    // Back up: every account loads, and its session still refreshes (1 s tokens).
                    let after = try await listed(shared, harness)
                    #expect(after.result.exitCode == 0, "\(after.result)")
                    #expect(after.handles == ["alice.test", "bob.test"], "\(after.result)")
                    #expect(after.problems == 0, "\(after.result)")
                    for handle in ["alice.test", "bob.test"] {
                        let result = try await runElsewhere(["token", handle] + shared.flags(harness))
                        #expect(result.exitCode == 0, "\(result)")
                        #expect(!result.stdout.isEmpty, "\(result)")
                    }
                    let refreshed = try await runElsewhere(["refresh", "--all"] + shared.flags(harness))
                    #expect(refreshed.exitCode == 0, "\(refreshed)")
                }
            }
        }
    }

    /// `accounts --json` in the shared database: the handles (sorted) and how many problems it reports.
    private func listed(_ shared: Shared, _ harness: CLIHarness) async throws -> (
        result: CLIResult, handles: [String], problems: Int
    ) {
        let result = try await runElsewhere(["accounts", "--json"] + shared.flags(harness))
        let document = try #require(try result.json() as? [String: Any], "\(result)")
        let accounts = try #require(document["accounts"] as? [[String: Any]], "\(result)")
        let problems = (document["problems"] as? [Any])?.count ?? 0
        return (result, accounts.compactMap { $0["handle"] as? String }.sorted(), problems)
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
                // Never live in both (R24): where a copy is in both stores, the database's is
                // marked as moving and refuses to be used, naming the fix; the other works.
                for handle in ["alice.test", "bob.test", "carol.test"] {
                    var usable = 0
                    for flags in [fileFlags, shared.flags(harness)] {
                        let result = try await runElsewhere(["token", handle] + flags)
                        if result.exitCode == 0 {
                            usable += 1
                        } else {
                            #expect(result.exitCode == 6, "\(result)")
                            #expect(
                                result.stderr.contains("store move") || result.stderr.contains("no stored account")
                                    || result.stderr.contains("not found") || result.stderr.contains("no account"),
                                "\(result)")
                        }
                    }
                    #expect(usable == 1, "\(handle) usable in \(usable) stores after the kill: \(afterKill)")
                }
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

/// A throwaway cluster of its own (`scripts/postgres-test-cluster start`), for a test that stops
/// its database. The script runs through ``CleanSpawn``: run through Foundation's `Process`, the
/// postmaster that `pg_ctl` leaves running inherits the socket `Process` watches, so the script
/// is never seen to finish.
struct PostgresTestCluster: Sendable {
    let script: String
    let directory: String
    /// `postgres://atproto:<password>@127.0.0.1:<port>/atproto_oauth_test?sslmode=disable`.
    let url: String
    let port: Int
    let password: String

    /// Starts a cluster, runs `body` with it, and always stops it (removing its directory).
    static func with<T>(script: String, _ body: (PostgresTestCluster) async throws -> T) async throws -> T {
        let output = try await run(script, ["start"], timeout: .seconds(90))
        func value(_ name: String) -> String? {
            output.split(separator: "\n").first { $0.hasPrefix("export \(name)='") && $0.hasSuffix("'") }.map {
                String($0.dropFirst("export \(name)='".count).dropLast())
            }
        }
        guard let directory = value("ATPROTO_OAUTH_TEST_PGCLUSTER") else {
            throw SupportError("postgres-test-cluster start printed no cluster directory")
        }
        let result: Result<T, any Error>
        do {
            guard let url = value("ATPROTO_OAUTH_TEST_POSTGRES"), let components = URLComponents(string: url),
                let port = components.port, let password = components.password
            else { throw SupportError("postgres-test-cluster start printed no usable URL") }
            let cluster = PostgresTestCluster(
                script: script, directory: directory, url: url, port: port, password: password)
            result = .success(try await body(cluster))
        } catch {
            result = .failure(error)
        }
        _ = try? await run(script, ["stop", directory], timeout: .seconds(60))
        return try result.get()
    }

    /// Stops the server (keeping the data), runs `body`, and starts it again on the same port —
    /// also when `body` throws.
    func whileHalted<T>(_ body: () async throws -> T) async throws -> T {
        _ = try await Self.run(script, ["halt", directory], timeout: .seconds(60))
        let result: Result<T, any Error>
        do {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        _ = try await Self.run(script, ["resume", directory], timeout: .seconds(60))
        return try result.get()
    }

    /// Runs the script to completion, bounded; its stdout, or an error with its stderr.
    private static func run(_ script: String, _ arguments: [String], timeout: Duration) async throws -> String {
        let finished = try await CleanSpawn.run(
            script, arguments, environment: ProcessInfo.processInfo.environment, timeout: timeout)
        guard finished.exited, finished.exitCode == 0 else {
            throw SupportError(
                "postgres-test-cluster \(arguments.joined(separator: " ")) failed: status \(finished.status) "
                    + "(exit \(finished.exitCode))\n\(finished.stderr)")
        }
        return finished.stdout
    }
}
