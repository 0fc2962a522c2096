import Foundation
import Testing

extension EndToEnd {
    @Suite("token, refresh, request, logout")
    struct SessionCommandTests {
        @Test("R24/R26: after the access token expired (TTL 2 s), token refreshes and prints a new one")
        func refreshAfterExpiry() async throws {
            try await withHarness(["--auto-approve", "--access-ttl", "2"]) { cli in
                let did = try await cli.loggedIn("alice.test")
                let first = try await cli.run(["token"])
                #expect(first.exitCode == 0, "\(first)")
                #expect(!first.line.isEmpty)
                try await Task.sleep(for: .seconds(3))

                let second = try await cli.run(["token", did])
                #expect(second.exitCode == 0, "\(second)")
                #expect(!second.line.isEmpty)
                #expect(second.line != first.line, "token printed the expired token again")
                // The printed token is the one now stored (persisted before returning).
                #expect(try cli.home.secrets(of: did)["access_token"] == second.line)

                let json = try await cli.run(["token", "--json"])
                #expect(json.exitCode == 0, "\(json)")
                let document = try json.object()
                #expect(document["did"] as? String == did)
                #expect(document["tokenType"] as? String == "DPoP")

                // The new token works at the PDS.
                let session = try await cli.run(["request", "com.atproto.server.getSession"])
                #expect(session.exitCode == 0, "\(session)")
                #expect(session.stdout.contains(did), "\(session)")
            }
        }

        @Test("R24: refresh --json rotates the tokens and reports the account; refresh --all covers every account")
        func refreshCommand() async throws {
            try await withHarness { cli in
                let alice = try await cli.loggedIn("alice.test")
                let carol = try await cli.loggedIn(try cli.server.info.account("carol.test").pds)
                let before = try cli.home.secrets(of: alice)

                let one = try await cli.run(["refresh", "alice.test", "--json"])
                #expect(one.exitCode == 0, "\(one)")
                let reports = try #require(try one.json() as? [[String: Any]], "\(one)")
                #expect(reports.map { $0["did"] as? String } == [alice])
                let after = try cli.home.secrets(of: alice)
                #expect(after["access_token"] != before["access_token"])
                #expect(after["refresh_token"] != before["refresh_token"], "R24: refresh tokens rotate")
                #expect(after["dpop_key.d"] == before["dpop_key.d"], "the DPoP key stays with the session")

                let all = try await cli.run(["refresh", "--all", "--json"])
                #expect(all.exitCode == 0, "\(all)")
                let allReports = try #require(try all.json() as? [[String: Any]], "\(all)")
                #expect(Set(allReports.compactMap { $0["did"] as? String }) == [alice, carol])

                let status = try await cli.run(["status", "--json"])
                #expect(status.exitCode == 0, "\(status)")
                let document = try AccountsDocument(status)
                #expect(document.state(of: alice) == "ok")
                #expect(document.state(of: carol) == "ok")
            }
        }

        @Test("R22/R23: request com.atproto.server.getSession prints the PDS's JSON with the DID")
        func requestGetSession() async throws {
            try await withHarness { cli in
                let did = try await cli.loggedIn("alice.test")
                let result = try await cli.run(["request", "com.atproto.server.getSession"])
                #expect(result.exitCode == 0, "\(result)")
                let object = try result.object()
                #expect(object["did"] as? String == did, "\(result)")

                let named = try await cli.run(["request", "alice.test", "com.atproto.server.getSession", "--json"])
                #expect(named.exitCode == 0, "\(named)")
                #expect(try named.object()["did"] as? String == did)
            }
        }

        @Test("switch changes the default account that token/request use")
        func switchDefault() async throws {
            try await withHarness { cli in
                let alice = try await cli.loggedIn("alice.test")
                let bob = try await cli.loggedIn("bob.test")
                let current = try await cli.run(["request", "com.atproto.server.getSession"])
                #expect(try current.object()["did"] as? String == bob, "the last login becomes the default")

                let switched = try await cli.run(["switch", "alice.test"])
                #expect(switched.exitCode == 0, "\(switched)")
                let after = try await cli.run(["request", "com.atproto.server.getSession"])
                #expect(try after.object()["did"] as? String == alice)

                let unknown = try await cli.run(["switch", "nobody.test"])
                #expect(unknown.exitCode == 6, "unknown account is a store error:\n\(unknown)")
            }
        }

        @Test("R27: logout revokes and deletes; a copy of the old session is refused afterwards")
        func logoutRevokes() async throws {
            try await withHarness { cli in
                let did = try await cli.loggedIn("alice.test")
                // Keep a copy of the session file in a second store with the same modes.
                let copy = cli.home.root.appendingPathComponent("copy", isDirectory: true)
                let accounts = copy.appendingPathComponent("accounts", isDirectory: true)
                try FileManager.default.createDirectory(
                    at: accounts, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: copy.path)
                let copied = cli.home.accountFile(did, in: copy)
                try FileManager.default.copyItem(at: cli.home.accountFile(did), to: copied)
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: copied.path)
                let works = try await cli.run(["request", did, "com.atproto.server.getSession"], store: copy)
                #expect(works.exitCode == 0, "the copy works before logout:\n\(works)")

                let logout = try await cli.run(["logout", "--json"])
                #expect(logout.exitCode == 0, "\(logout)")
                let document = try logout.object()
                #expect(document["revoked"] as? Bool == true)
                #expect(document["deleted"] as? Bool == true)
                #expect(cli.accountFiles().isEmpty, "logout deletes the session file")
                let listing = try AccountsDocument(try await cli.run(["accounts", "--json"]))
                #expect(listing.accounts.isEmpty)

                // Revocation ended the whole grant: the PDS answers the old access token with 401
                // invalid_token, the CLI refreshes once (R25) and the AS refuses the old refresh
                // token with invalid_grant, so the CLI marks the copy "needs login": exit 5.
                let refused = try await cli.run(["request", did, "com.atproto.server.getSession"], store: copy)
                #expect(refused.exitCode == 5, "\(refused)")
                #expect(!refused.stdout.contains(did), "\(refused)")
                let status = try await cli.run(["status", "--json"], store: copy)
                #expect(status.exitCode == 1, "status flags the copy as needing attention:\n\(status)")
                #expect(try AccountsDocument(status).state(of: did) == "needs-login")
            }
        }
    }
}
