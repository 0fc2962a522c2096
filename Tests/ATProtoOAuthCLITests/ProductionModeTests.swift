import Foundation
import Testing

extension EndToEnd {
    /// The binary in PRODUCTION mode against `dev-server --tls`: https origins on port 443
    /// under devnet.atproto-oauth.dev, reached through the network's CONNECT proxy
    /// (`HTTPS_PROXY`), certificates checked against its throwaway CA (`--ca-file`), handles
    /// resolved by DNS TXT (`--dns-server`) and HTTPS well-known, and no
    /// `--allow-http-loopback`.
    @Suite("production mode (dev-server --tls)")
    struct ProductionModeTests {
        @Test("login bob by handle (well-known only), request getSession, discover shows the HTTPS well-known")
        func loginRequestDiscover() async throws {
            try await withHarness(["--tls", "--auto-approve"]) { cli in
                let info = cli.server.info
                #expect(!info.clientFlags.contains("--allow-http-loopback"), "\(info.clientFlags)")
                #expect(!info.clientFlags.contains("--handle-resolver"), "\(info.clientFlags)")
                #expect(info.clientFlags.contains("--ca-file"), "\(info.clientFlags)")
                let bob = try #require(info.accounts.first { $0.handle.hasPrefix("bob.") })
                #expect(bob.handle == "bob.devnet.atproto-oauth.dev")
                #expect(bob.pds.hasPrefix("https://"))

                let login = try await cli.production(
                    ["login", bob.handle, "--json", "--callback-timeout", "20"], browser: .follow)
                #expect(login.exitCode == 0, "\(login)\nbrowser log:\n\(cli.home.browserLogText)")
                guard login.exitCode == 0 else { return }
                let report = try login.object()
                #expect(report["did"] as? String == bob.did)
                #expect(report["handle"] as? String == bob.handle)
                #expect((report["pds"] as? String)?.hasPrefix(bob.pds) == true, "\(login)")
                #expect((report["issuer"] as? String)?.hasPrefix(info.entryway) == true, "\(login)")

                let request = try await cli.production(["request", "com.atproto.server.getSession"])
                #expect(request.exitCode == 0, "\(request)")
                #expect(request.stdout.contains(bob.did), "\(request)")

                // R3: bob's handle has no TXT record, so the DID comes from
                // https://<handle>/.well-known/atproto-did, served as application/octet-stream
                // (the dev network's handle hosts always answer so; TLSNetworkTests pins it).
                let discover = try await cli.production(["discover", bob.handle, "--json"])
                #expect(discover.exitCode == 0, "\(discover)")
                guard discover.exitCode == 0 else { return }
                let document = try discover.object()
                #expect(document["did"] as? String == bob.did)
                #expect(document["handleVerified"] as? Bool == true, "\(discover)")
                let steps = try #require(document["steps"] as? [[String: Any]], "\(discover)")
                let resolve = try #require(steps.first { $0["step"] as? String == "resolve-handle" }, "\(discover)")
                #expect(resolve["status"] as? String == "ok", "\(discover)")
                #expect((resolve["detail"] as? String)?.contains("HTTPS well-known") == true, "\(discover)")
                #expect(
                    cli.server.stderr.contains("https://\(bob.handle)/.well-known/atproto-did → 200"),
                    "the well-known was served by the handle host:\n\(cli.server.stderr)")
            }
        }

        @Test("login carol (DNS TXT, self-hosted PDS as its own AS) through the consent page over https")
        func consentPageOverHTTPS() async throws {
            try await withHarness(["--tls"]) { cli in
                let carol = try #require(cli.server.info.accounts.first { $0.handle.hasPrefix("carol.") })
                let login = try await cli.production(
                    ["login", carol.handle, "--json", "--callback-timeout", "20"], browser: .approve)
                #expect(login.exitCode == 0, "\(login)\nbrowser log:\n\(cli.home.browserLogText)")
                guard login.exitCode == 0 else { return }
                let report = try login.object()
                #expect(report["did"] as? String == carol.did)
                #expect((report["issuer"] as? String)?.hasPrefix(carol.pds) == true, "\(login)")
                #expect(cli.home.browserLogText.contains("consent page: HTTP 200"), "\(cli.home.browserLogText)")
                #expect(login.stderr.contains("from DNS TXT"), "carol's handle has a TXT record:\n\(login)")
            }
        }

        /// One step of bob's production-mode login that the dev network is told never to answer.
        struct HangingStep: Sendable, CustomTestStringConvertible {
            var path: String
            var step: String
            var exitCode: Int32
            var testDescription: String { "\(step) (\(path))" }
        }

        static let hangingSteps = [
            HangingStep(path: "/.well-known/atproto-did", step: "resolve-handle", exitCode: 3),
            HangingStep(path: "/did:", step: "resolve-did", exitCode: 3),
            HangingStep(path: "/.well-known/oauth-protected-resource", step: "resource-metadata", exitCode: 3),
            HangingStep(
                path: "/.well-known/oauth-authorization-server", step: "authorization-server-metadata", exitCode: 3),
            HangingStep(path: "/oauth/par", step: "par", exitCode: 7),
            HangingStep(path: "/oauth/token", step: "token", exitCode: 7),
        ]

        @Test(
            "A time-out forced at each step of a TLS login through the proxy is a typed error naming the step, never a crash; nothing stored",
            arguments: hangingSteps)
        func timeoutAtEachStep(_ hanging: HangingStep) async throws {
            try await withHarness(["--tls", "--auto-approve", "--hang-path", hanging.path]) { cli in
                let bob = try #require(cli.server.info.accounts.first { $0.handle.hasPrefix("bob.") })
                let login = try await cli.production(
                    ["login", bob.handle, "--timeout", "3", "--callback-timeout", "20"], browser: .follow)
                #expect(!login.signalled, "the login crashed:\n\(login)")
                #expect(login.exitCode == hanging.exitCode, "\(login)\nbrowser log:\n\(cli.home.browserLogText)")
                #expect(login.stderr.contains("error: \(hanging.step)"), "\(login)")
                #expect(login.stderr.contains("no complete response within 3s"), "\(login)")
                #expect(cli.accountFiles().isEmpty, "\(login)")
            }
        }

        // Without the proxy the client would ask the machine's DNS for the real
        // devnet.atproto-oauth.dev names; the tests never send traffic beyond loopback, so that
        // case is left out.
        @Test("R29/R2: without the network's CA TLS fails (no fallback); a .test handle is refused")
        func noFallback() async throws {
            try await withHarness(["--tls", "--auto-approve"]) { cli in
                let alice = try #require(cli.server.info.accounts.first { $0.handle.hasPrefix("alice.") })
                // No --ca-file: the throwaway CA is not trusted, so TLS fails.
                let withoutCA = try await cli.production(
                    ["discover", alice.handle, "--json"], flags: cli.server.clientFlags.withoutCAFile)
                #expect(withoutCA.exitCode != 0, "\(withoutCA)")
                #expect(withoutCA.stderr.contains("TLS"), "\(withoutCA)")
                #expect(withoutCA.stderr.contains("--ca-file"), "the message names the fix:\n\(withoutCA)")
                // A .test handle is refused before any look-up in production mode (R2).
                let testHandle = try await cli.production(["discover", "alice.test", "--json"])
                #expect(testHandle.exitCode != 0, "\(testHandle)")
            }
        }
    }
}

extension CLIHarness {
    /// Runs the binary as a production-mode client of `dev-server --tls`: the network's
    /// client flags (`--plc-url`, `--dns-server`, `--ca-file`; `flags` replaces them),
    /// `HTTPS_PROXY` set to its proxy, and the scripted browser sent through the same proxy
    /// trusting the same CA (`BROWSER_CA_FILE`).
    func production(
        _ command: [String], browser: BrowserMode? = nil, flags: [String]? = nil, timeout: Duration = .seconds(40)
    ) async throws -> CLIResult {
        let proxy = try #require(server.info.proxy, "the dev server was not started with --tls")
        var environment = environment(browser: browser)
        environment["HTTPS_PROXY"] = proxy
        if let caFile = server.info.caFile { environment["BROWSER_CA_FILE"] = caFile }
        let arguments = command + ["--store", home.store.path] + (flags ?? server.clientFlags)
        return try await CLI.run(arguments, environment: environment, timeout: timeout)
    }
}

extension [String] {
    /// The flags without `--ca-file PATH`.
    fileprivate var withoutCAFile: [String] {
        var flags: [String] = []
        var skipNext = false
        for flag in self {
            if skipNext {
                skipNext = false
            } else if flag == "--ca-file" {
                skipNext = true
            } else {
                flags.append(flag)
            }
        }
        return flags
    }
}
