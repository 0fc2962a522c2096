import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension EndToEnd {
    /// `status --check`: each PDS is asked with getSession; a session revoked server-side is
    /// refused, marked needs-login in the store and reported with the server's answer.
    @Suite("status --check")
    struct StatusCheckTests {
        @Test("R24/R25: one healthy account, one revoked server-side → exit 1, the revoked one stored as needs-login")
        func revokedAccountNeedsLogin() async throws {
            try await withHarness { cli in
                let alice = try await cli.loggedIn("alice.test")
                let bob = try await cli.loggedIn("bob.test")

                let healthy = try await cli.run(["status", "--check", "--json"])
                #expect(healthy.exitCode == 0, "\(healthy)")
                #expect(try Self.checks(healthy)[alice]?["result"] as? String == "ok", "\(healthy)")
                #expect(try Self.checks(healthy)[bob]?["result"] as? String == "ok", "\(healthy)")

                try await Self.revokeSessions(of: bob, plc: cli.server.info.plc)

                let checked = try await cli.run(["status", "--check", "--json"])
                #expect(checked.exitCode == 1, "\(checked)")
                let checks = try Self.checks(checked)
                #expect(checks[alice]?["result"] as? String == "ok", "\(checked)")
                #expect(checks[bob]?["result"] as? String == "needs-login", "\(checked)")
                let detail = checks[bob]?["detail"] as? String ?? ""
                #expect(detail.contains("session has been revoked"), "the server's answer is reported:\n\(checked)")
                let document = try AccountsDocument(checked)
                #expect(document.state(of: alice) == "ok")
                #expect(document.state(of: bob) == "needs-login", "\(checked)")

                // Stored: a plain status (no network) sees it, and the file says so.
                let stored = try await cli.run(["status", "--json"])
                #expect(stored.exitCode == 1, "\(stored)")
                #expect(try AccountsDocument(stored).state(of: bob) == "needs-login", "\(stored)")
                let file = try JSONSerialization.jsonObject(with: Data(contentsOf: cli.home.accountFile(bob)))
                #expect((file as? [String: Any])?["needs_login"] as? Bool == true, "\(file)")

                // The text form names the account and the answer; one account can be checked alone.
                let text = try await cli.run(["status", "--check"])
                #expect(text.exitCode == 1, "\(text)")
                #expect(text.stdout.contains("✗ bob.test: needs-login"), "\(text)")
                #expect(text.stdout.contains("✓ alice.test: ok"), "\(text)")
                let one = try await cli.run(["status", "alice.test", "--check", "--json"])
                #expect(one.exitCode == 0, "\(one)")
                #expect(try Self.checks(one).keys.sorted() == [alice], "\(one)")

                let secrets = try cli.home.secrets(of: alice)
                #expect(leakedSecrets(secrets, in: checked.allOutput + text.allOutput).isEmpty)
            }
        }

        /// `checks` of `status --check --json`, by DID.
        static func checks(_ result: CLIResult) throws -> [String: [String: Any]] {
            let list = try #require(try result.object()["checks"] as? [[String: Any]], "no checks:\n\(result)")
            var byDID: [String: [String: Any]] = [:]
            for check in list { if let did = check["did"] as? String { byDID[did] = check } }
            return byDID
        }

        /// `POST <plc>/_dev/revoke-sessions?did=…`: the dev network's server-side revocation.
        static func revokeSessions(of did: String, plc: String) async throws {
            let url = try #require(URL(string: "\(plc)/_dev/revoke-sessions?did=\(did)"))
            var request = URLRequest(url: url)
            request.httpMethod = "POST"
            let session = URLSession(configuration: .ephemeral)
            defer { session.finishTasksAndInvalidate() }
            let (data, response) = try await session.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode
            try #require(status == 200, "revoke-sessions: \(String(decoding: data, as: UTF8.self))")
        }
    }
}
