import Foundation
import Testing

extension EndToEnd {
    @Suite("login")
    struct LoginTests {
        @Test("R1–R21: login from a handle (DNS-less resolver, entryway AS) stores the account")
        func fromHandle() async throws {
            try await withHarness { cli in
                let alice = try cli.server.info.account("alice.test")
                let result = try await cli.login("alice.test")
                #expect(result.exitCode == 0, "\(result)\nbrowser log:\n\(cli.home.browserLogText)")
                let report = try result.object()
                #expect(report["did"] as? String == alice.did)
                #expect(report["handle"] as? String == "alice.test")
                #expect(report["isDefault"] as? Bool == true)
                #expect(report["state"] as? String == "ok")
                #expect((report["scope"] as? String)?.contains("atproto") == true)
                // The authorization URL is always printed to stderr, and each step is reported.
                #expect(result.stderr.contains("/oauth/authorize"), "\(result)")
                for step in ["par", "callback", "token", "verify-subject", "save"] {
                    #expect(result.stderr.contains(step), "step \(step) not reported:\n\(result)")
                }
                #expect(cli.accountFiles() == ["\(alice.did).json"])

                let accounts = try AccountsDocument(try await cli.run(["accounts", "--json"]))
                #expect(accounts.dids == [alice.did])
                #expect(accounts.problems.isEmpty)

                // R18: a stray /favicon.ico gets 404 and does not end the wait; logging in again
                // replaces the session of the same DID (one file, new tokens and DPoP key).
                let before = try cli.home.secrets(of: alice.did)
                let again = try await cli.login("alice.test", browser: .faviconFirst)
                #expect(again.exitCode == 0, "\(again)\nbrowser log:\n\(cli.home.browserLogText)")
                #expect(cli.home.browserLogText.contains("favicon: HTTP 404"), "\(cli.home.browserLogText)")
                #expect(cli.accountFiles() == ["\(alice.did).json"])
                let after = try cli.home.secrets(of: alice.did)
                #expect(after["access_token"] != before["access_token"])
                #expect(after["dpop_key.d"] != before["dpop_key.d"], "R17: a fresh DPoP key per login")
            }
        }

        @Test("R3/R5: login from a DID (PLC document → PDS → entryway AS)")
        func fromDID() async throws {
            try await withHarness { cli in
                let bob = try cli.server.info.account("bob.test")
                let result = try await cli.login(bob.did)
                #expect(result.exitCode == 0, "\(result)\nbrowser log:\n\(cli.home.browserLogText)")
                let report = try result.object()
                #expect(report["did"] as? String == bob.did)
                #expect(report["handle"] as? String == "bob.test")
                #expect(report["pds"] as? String == bob.pds || report["pds"] as? String == bob.pds + "/")
                #expect(cli.accountFiles() == ["\(bob.did).json"])
            }
        }

        @Test("R7/R21: login from a PDS URL (self-hosted PDS is its own AS); subject verified afterwards")
        func fromPDSURL() async throws {
            try await withHarness { cli in
                let carol = try cli.server.info.account("carol.test")
                let result = try await cli.login(carol.pds)
                #expect(result.exitCode == 0, "\(result)\nbrowser log:\n\(cli.home.browserLogText)")
                let report = try result.object()
                #expect(report["did"] as? String == carol.did)
                #expect((report["issuer"] as? String)?.hasPrefix(carol.pds) == true, "\(result)")
                #expect(cli.accountFiles() == ["\(carol.did).json"])
            }
        }

        @Test("R10–R12: login with a hosted client id (client-metadata served from 127.0.0.1)")
        func hostedClientID() async throws {
            let hosted = try await HostedClientServer.start()
            do {
                try await loginWithHostedClient(hosted)
                await hosted.stop()
            } catch {
                await hosted.stop()
                throw error
            }
        }

        private func loginWithHostedClient(_ hosted: HostedClientServer) async throws {
            try await withHarness { cli in
                let alice = try cli.server.info.account("alice.test")
                let result = try await cli.login("alice.test", extra: ["--client-id", hosted.clientID.absoluteString])
                #expect(result.exitCode == 0, "\(result)\nbrowser log:\n\(cli.home.browserLogText)")
                guard result.exitCode == 0 else { return }
                let report = try result.object()
                #expect(report["did"] as? String == alice.did)
                #expect(report["clientID"] as? String == hosted.clientID.absoluteString)
            }
        }

        @Test("Consent page Approve works; Deny exits 4 with a clear message and leaves the store unchanged")
        func denyLeavesStoreUnchanged() async throws {
            try await withHarness([]) { cli in
                let alice = try cli.server.info.account("alice.test")
                let approved = try await cli.login("alice.test", browser: .approve)
                #expect(approved.exitCode == 0, "\(approved)\nbrowser log:\n\(cli.home.browserLogText)")
                let before = snapshot(cli.home.store)
                #expect(before["accounts/\(alice.did).json"] != nil)

                let denied = try await cli.login("bob.test", browser: .deny)
                #expect(denied.exitCode == 4, "\(denied)\nbrowser log:\n\(cli.home.browserLogText)")
                #expect(denied.stderr.contains("error:"), "\(denied)")
                #expect(denied.stderr.contains("access_denied"), "\(denied)")
                #expect(denied.stdout.isEmpty, "\(denied)")
                #expect(snapshot(cli.home.store) == before, "the denied login changed the store")
            }
        }

        @Test(
            "R18: a callback whose state was changed is answered 400 and ignored; the login times out (exit 4), nothing stored"
        )
        func tamperedState() async throws {
            try await withHarness { cli in
                // A callback without this login's state is answered 400 and ignored: the listener
                // keeps waiting for the real one, so the login ends at its callback timeout.
                let result = try await cli.run(
                    ["login", "alice.test", "--json", "--callback-timeout", "3"], browser: .tamperState)
                #expect(result.exitCode == 4, "\(result)\nbrowser log:\n\(cli.home.browserLogText)")
                #expect(result.stderr.contains("without this login's state were ignored (R18)"), "\(result)")
                #expect(cli.home.browserLogText.contains("400"), "\(cli.home.browserLogText)")
                #expect(cli.accountFiles().isEmpty)
            }
        }

        @Test("R18: a callback whose iss was changed is refused (exit 4), nothing stored")
        func tamperedISS() async throws {
            try await withHarness { cli in
                let result = try await cli.login("alice.test", browser: .tamperISS)
                #expect(result.exitCode == 4, "\(result)\nbrowser log:\n\(cli.home.browserLogText)")
                #expect(result.stderr.contains("error: callback: R18 iss"), "\(result)")
                #expect(cli.accountFiles().isEmpty)
            }
        }

        @Test("A browser that never comes back: --callback-timeout ends the login with exit 4, nothing stored")
        func callbackTimeout() async throws {
            try await withHarness { cli in
                let result = try await cli.run(
                    ["login", "alice.test", "--callback-timeout", "1"], browser: .ignore, timeout: .seconds(20))
                #expect(result.exitCode == 4, "\(result)")
                #expect(result.stderr.contains("error:"), "\(result)")
                #expect(result.stderr.contains("/oauth/authorize"), "the URL is printed for a manual login")
                #expect(cli.accountFiles().isEmpty)
            }
        }

        @Test("Store: a group-readable or corrupt session file is named as a problem; the others stay usable")
        func unsafeAndCorruptFiles() async throws {
            try await withHarness { cli in
                let alice = try await cli.loggedIn("alice.test")
                let bob = try await cli.loggedIn("bob.test")
                let carol = try await cli.loggedIn(try cli.server.info.account("carol.test").pds)
                try FileManager.default.setAttributes(
                    [.posixPermissions: 0o644], ofItemAtPath: cli.home.accountFile(bob).path)
                try Data("{ not json".utf8).write(to: cli.home.accountFile(carol))

                let listed = try await cli.run(["accounts", "--json"])
                #expect(listed.exitCode == 0, "\(listed)")
                let document = try AccountsDocument(listed)
                #expect(document.dids == [alice], "\(listed)")
                let files = document.problems.compactMap { $0["file"] as? String }.joined(separator: " ")
                #expect(files.contains(bob), "the group-readable file is named:\n\(listed)")
                #expect(files.contains(carol), "the corrupt file is named:\n\(listed)")

                let status = try await cli.run(["status"])
                #expect(status.exitCode == 1, "problems need attention:\n\(status)")
                let refused = try await cli.run(["token", bob])
                #expect(refused.exitCode == 6, "\(refused)")
                #expect(refused.stderr.contains("error:"), "\(refused)")
                #expect(!refused.stdout.contains("at-"), "no token from an unsafe file:\n\(refused)")
                let works = try await cli.run(["request", alice, "com.atproto.server.getSession"])
                #expect(works.exitCode == 0, "\(works)")
            }
        }

        @Test("Store: directories 0700, session and config files 0600 (after login and after refresh)")
        func fileModes() async throws {
            try await withHarness { cli in
                let did = try await cli.loggedIn("alice.test")
                func check(_ when: String) throws {
                    let store = cli.home.store
                    #expect(try permissions(of: store) == 0o700, "store dir \(when)")
                    #expect(try permissions(of: store.appendingPathComponent("accounts")) == 0o700, "accounts/ \(when)")
                    #expect(try permissions(of: cli.home.accountFile(did)) == 0o600, "session file \(when)")
                    let config = store.appendingPathComponent("config.json")
                    if FileManager.default.fileExists(atPath: config.path) {
                        #expect(try permissions(of: config) == 0o600, "config.json \(when)")
                    }
                    let locks = store.appendingPathComponent("locks")
                    if FileManager.default.fileExists(atPath: locks.path) {
                        #expect(try permissions(of: locks) == 0o700, "locks/ \(when)")
                        for name in (try? FileManager.default.contentsOfDirectory(atPath: locks.path)) ?? [] {
                            #expect(
                                try permissions(of: locks.appendingPathComponent(name)) == 0o600,
                                "locks/\(name) \(when)")
                        }
                    }
                }
                try check("after login")
                let refreshed = try await cli.run(["refresh", did])
                #expect(refreshed.exitCode == 0, "\(refreshed)")
                try check("after refresh")
            }
        }
    }
}
