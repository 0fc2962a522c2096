import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension EndToEnd {
    /// R27 (no orphaned grants) and exit codes decided by a login failure's typed cause.
    @Suite("login: superseded grants and failure causes")
    struct LoginGrantAndCauseTests {
        @Test("R27: logging in again revokes the superseded grant; its refresh token no longer works (exit 5)")
        func reloginRevokesSupersededGrant() async throws {
            try await withHarness { cli in
                let did = try await cli.loggedIn("alice.test")
                #expect(!cli.server.stderr.contains("/oauth/revoke"), "the first login revoked something")
                // Keep the first session in a second store, to try its tokens afterwards.
                let oldStore = cli.home.root.appendingPathComponent("old-store", isDirectory: true)
                try FileManager.default.createDirectory(
                    at: oldStore.appendingPathComponent("accounts"), withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700])
                try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: oldStore.path)
                try FileManager.default.copyItem(
                    at: cli.home.accountFile(did), to: cli.home.accountFile(did, in: oldStore))

                let again = try await cli.login("alice.test", verbose: true)
                #expect(again.exitCode == 0, "\(again)\nbrowser log:\n\(cli.home.browserLogText)")
                #expect(
                    cli.server.stderr.contains("/oauth/revoke → 200"),
                    "no revocation reached the dev server:\n\(cli.server.stderr)")
                #expect(again.stderr.contains("grant was revoked (R27)"), "\(again)")

                let old = try await cli.run(["refresh", did], store: oldStore)
                #expect(old.exitCode == 5, "the superseded refresh token still works:\n\(old)")
                let current = try await cli.run(["refresh", did])
                #expect(current.exitCode == 0, "\(current)")
            }
        }

        /// The browser: takes the auto-approved redirect without following it, freezes the dev
        /// server (SIGSTOP), then delivers the callback — so the token request gets no answer.
        static let freezingBrowser = """
            import os, signal, sys, urllib.error, urllib.request
            log = open(os.environ["BROWSER_LOG"], "a")
            class NoRedirect(urllib.request.HTTPRedirectHandler):
                def redirect_request(self, req, fp, code, msg, headers, newurl):
                    return None
            direct = urllib.request.ProxyHandler({})
            try:
                urllib.request.build_opener(direct, NoRedirect()).open(sys.argv[-1], timeout=15)
                log.write("no redirect\\n")
                sys.exit(1)
            except urllib.error.HTTPError as error:
                location = error.headers.get("Location")
            os.kill(int(os.environ["DEV_SERVER_PID"]), signal.SIGSTOP)
            log.write("dev server stopped\\n")
            log.flush()
            try:
                status = "HTTP %d" % urllib.request.build_opener(direct).open(location, timeout=15).status
            except urllib.error.HTTPError as error:
                status = "HTTP %d" % error.code
            except Exception as error:  # e.g. the page cut off by the CLI's exit on a starved machine
                status = "no page (%r)" % error
            log.write(f"callback: {status}\\n")
            """

        @Test("Exit codes: the token request getting no answer (network failure) exits 7, not 4; nothing stored")
        func tokenNetworkFailureExits7() async throws {
            let home = try TestHome()
            defer { home.cleanUp() }
            let server = try CLI.spawn(["dev-server", "--auto-approve"], environment: CLI.environment(home: nil))
            let outcome: Result<Void, any Error>
            do {
                let info = try await Self.info(of: server)
                let script = home.root.appendingPathComponent("freezing-browser.py")
                try Self.freezingBrowser.write(to: script, atomically: true, encoding: .utf8)
                let environment = CLI.environment(
                    home: home.root,
                    extra: [
                        "BROWSER": "'\(Browser.python)' '\(script.path)'", "BROWSER_LOG": home.browserLog.path,
                        "DEV_SERVER_PID": "\(server.pid)",
                    ])
                let result = try await CLI.run(
                    ["login", "alice.test", "--callback-timeout", "20", "--store", home.store.path]
                        + info.clientFlags + ["--timeout", "2"],
                    environment: environment, timeout: .seconds(40))
                server.signal(SIGCONT)
                // The browser writes its line after the callback's answer reached it, which can be
                // after the CLI has already exited (a slow machine, a sanitizer build): wait for it.
                for _ in 0..<2_000 where !home.browserLogText.contains("callback:") {
                    try await Task.sleep(for: .milliseconds(10))
                }
                // The callback was delivered (the CLI's token error below proves it reached the
                // listener); whether the page arrived too is not this test's point: on a starved
                // machine the CLI's exit after its 2 s token time-out can cut it off.
                #expect(home.browserLogText.contains("callback: "), "\(home.browserLogText)")
                #expect(!home.browserLogText.contains("callback: HTTP 4"), "\(home.browserLogText)")
                #expect(result.exitCode == 7, "\(result)\nbrowser log:\n\(home.browserLogText)")
                #expect(result.stderr.contains("error: token:"), "\(result)")
                let accounts = home.store.appendingPathComponent("accounts")
                #expect(((try? FileManager.default.contentsOfDirectory(atPath: accounts.path)) ?? []).isEmpty)
                outcome = .success(())
            } catch {
                outcome = .failure(error)
            }
            server.signal(SIGCONT)
            server.signal(SIGTERM)
            _ = await server.wait(timeout: .seconds(5))
            try outcome.get()
        }

        /// The dev server's info line (its first stdout line).
        static func info(of server: ChildProcess) async throws -> DevServerInfo {
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                if let newline = server.stdout.firstIndex(of: "\n") {
                    return try JSONDecoder().decode(
                        DevServerInfo.self, from: Data(server.stdout[..<newline].utf8))
                }
                guard server.isRunning else { throw SupportError("dev-server exited:\n\(server.stderr)") }
                try await Task.sleep(for: .milliseconds(20))
            }
            throw SupportError("dev-server printed no info line within 20 s")
        }
    }
}
