import Foundation
import Testing

extension EndToEnd {
    /// `[<account>]`, `--account` and `ATPROTO_OAUTH_ACCOUNT`; `logout --all`.
    @Suite("Choosing accounts: --account, ATPROTO_OAUTH_ACCOUNT, logout --all")
    struct AccountSelectionTests {
        /// Runs a command against the harness's store with `ATPROTO_OAUTH_ACCOUNT` set (or not).
        private func run(_ cli: CLIHarness, _ command: [String], account: String? = nil) async throws -> CLIResult {
            var environment = cli.environment(browser: nil)
            environment["ATPROTO_OAUTH_ACCOUNT"] = account
            return try await CLI.run(
                command + ["--store", cli.home.store.path] + cli.server.clientFlags, environment: environment)
        }

        /// The DID `token --json` used.
        private func tokenDID(
            _ cli: CLIHarness, _ arguments: [String], account: String? = nil,
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws -> String? {
            let result = try await run(cli, ["token", "--json"] + arguments, account: account)
            try #require(result.exitCode == 0, "\(result)", sourceLocation: sourceLocation)
            return try result.object()["did"] as? String
        }

        @Test(
            "Precedence: argument, then --account, then ATPROTO_OAUTH_ACCOUNT, then the default; the default never moves"
        )
        func precedence() async throws {
            try await withHarness { cli in
                let alice = try await cli.loggedIn("alice.test")
                let carol = try await cli.loggedIn(try cli.server.info.account("carol.test").pds)
                // The last login is the default.
                #expect(try await tokenDID(cli, []) == carol)

                #expect(try await tokenDID(cli, [], account: "alice.test") == alice)
                #expect(try await tokenDID(cli, ["--account", carol], account: "alice.test") == carol)
                #expect(try await tokenDID(cli, ["alice.test", "--account", carol], account: carol) == alice)
                #expect(try await tokenDID(cli, ["--account", "alice.test"]) == alice)
                // A blank variable counts as unset.
                #expect(try await tokenDID(cli, [], account: "") == carol)

                // The other commands that take [<account>] follow the same rule.
                let refreshed = try await run(cli, ["refresh", "--json"], account: "alice.test")
                #expect(refreshed.exitCode == 0, "\(refreshed)")
                let reports = try #require(try refreshed.json() as? [[String: Any]])
                #expect(reports.compactMap { $0["did"] as? String } == [alice])

                let api = try await run(cli, ["api", "com.atproto.server.getSession", "--account", "alice.test"])
                #expect(api.exitCode == 0, "\(api)")
                #expect(api.stdout.contains(alice) && !api.stdout.contains(carol), "\(api)")

                let status = try AccountsDocument(try await run(cli, ["status", "--json"], account: carol))
                #expect(status.accounts.compactMap { $0["did"] as? String } == [carol])
                let statusOption = try AccountsDocument(
                    try await run(cli, ["status", "--json", "--account", "alice.test"], account: carol))
                #expect(statusOption.accounts.compactMap { $0["did"] as? String } == [alice])

                // An unknown account named by the variable is an unknown account (exit 6), not the default.
                let unknown = try await run(cli, ["token"], account: "nobody.test")
                #expect(unknown.exitCode == 6, "\(unknown)")
                #expect(unknown.stderr.contains("nobody.test"), "\(unknown)")

                // --all and an account exclude each other.
                let both = try await run(cli, ["refresh", "--all", "--account", "alice.test"])
                #expect(both.exitCode == 2, "\(both)")

                // Nothing above changed the stored default.
                let listing = try AccountsDocument(try await run(cli, ["accounts", "--json"]))
                let defaults = listing.accounts.filter { $0["isDefault"] as? Bool == true }
                #expect(defaults.compactMap { $0["did"] as? String } == [carol])
            }
        }

        @Test("logout --account logs that account out and leaves the default alone")
        func logoutWithAccountOption() async throws {
            try await withHarness { cli in
                let alice = try await cli.loggedIn("alice.test")
                let carol = try await cli.loggedIn(try cli.server.info.account("carol.test").pds)
                let result = try await run(cli, ["logout", "--json"], account: "alice.test")
                #expect(result.exitCode == 0, "\(result)")
                #expect(try result.object()["did"] as? String == alice)
                #expect(cli.accountFiles() == ["\(carol).json"])
            }
        }

        @Test("logout --all revokes and deletes every account and reports each; an empty store is fine")
        func logoutAll() async throws {
            try await withHarness { cli in
                let alice = try await cli.loggedIn("alice.test")
                let carol = try await cli.loggedIn(try cli.server.info.account("carol.test").pds)

                let usage = try await run(cli, ["logout", "alice.test", "--all"])
                #expect(usage.exitCode == 2, "\(usage)")

                let result = try await run(cli, ["logout", "--all", "--json"])
                #expect(result.exitCode == 0, "\(result)")
                let documents = try #require(try result.json() as? [[String: Any]], "\(result)")
                #expect(Set(documents.compactMap { $0["did"] as? String }) == [alice, carol])
                #expect(documents.allSatisfy { $0["revoked"] as? Bool == true && $0["deleted"] as? Bool == true })
                #expect(cli.accountFiles().isEmpty)

                let again = try await run(cli, ["logout", "--all"])
                #expect(again.exitCode == 0, "\(again)")
                #expect(again.stdout.contains("No accounts"), "\(again)")
            }
        }

        @Test("logout --all: a revocation that fails is reported per account, the sessions go, and the exit is 7")
        func logoutAllRevocationFailure() async throws {
            let home = try TestHome()
            defer { home.cleanUp() }
            var flags: [String] = []
            try await withDevServer(["--auto-approve"]) { server in
                flags = server.clientFlags
                let cli = CLIHarness(server: server, home: home)
                try await cli.loggedIn("alice.test")
                try await cli.loggedIn(try cli.server.info.account("carol.test").pds)
            }
            // The network is gone: both revocations fail; the accounts are deleted all the same.
            let result = try await CLI.run(
                ["logout", "--all", "--timeout", "2", "--store", home.store.path] + flags,
                environment: CLI.environment(home: home.root))
            #expect(result.exitCode == 7, "\(result)")
            #expect(result.stderr.components(separatedBy: "revocation failed").count == 3, "\(result)")
            #expect(result.stdout.components(separatedBy: "(session not revoked)").count == 3, "\(result)")
        }
    }
}
