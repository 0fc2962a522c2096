import Foundation
import Testing

extension EndToEnd {
    @Suite("secrets never printed")
    struct SecretOutputTests {
        @Test("No access token, refresh token or DPoP private key in --verbose output or the dev-server log")
        func verboseRunsLeakNothing() async throws {
            try await withHarness(["--auto-approve", "--access-ttl", "2"]) { cli in
                var outputs: [(String, CLIResult)] = []
                var secrets: [String: String] = [:]
                func remember(_ stage: String, of did: String) throws {
                    for (name, value) in try cli.home.secrets(of: did) { secrets["\(stage) \(name)"] = value }
                }

                let login = try await cli.login("alice.test", verbose: true)
                #expect(login.exitCode == 0, "\(login)")
                let did = try #require(try login.object()["did"] as? String)
                try remember("login", of: did)
                outputs.append(("login", login))
                // Verbose really is verbose: requests are listed (so the check below means something).
                #expect(login.stderr.contains("→ POST"), "\(login)")

                let status = try await cli.run(["status"], verbose: true)
                #expect(status.exitCode == 0, "\(status)")
                outputs.append(("status", status))

                try await Task.sleep(for: .seconds(2))
                let refresh = try await cli.run(["refresh"], verbose: true)
                #expect(refresh.exitCode == 0, "\(refresh)")
                try remember("refresh", of: did)
                outputs.append(("refresh", refresh))

                let request = try await cli.run(["request", "com.atproto.server.getSession"], verbose: true)
                #expect(request.exitCode == 0, "\(request)")
                try remember("request", of: did)
                outputs.append(("request", request))

                let statusJSON = try await cli.run(["status", "--json"], verbose: true)
                outputs.append(("status --json", statusJSON))
                let accounts = try await cli.run(["accounts", "--json"], verbose: true)
                outputs.append(("accounts --json", accounts))

                let logout = try await cli.run(["logout"], verbose: true)
                #expect(logout.exitCode == 0, "\(logout)")
                outputs.append(("logout", logout))

                #expect(secrets.count >= 6, "secrets read from the session file: \(secrets.keys.sorted())")
                for (command, result) in outputs {
                    let leaked = leakedSecrets(secrets, in: result.allOutput)
                    #expect(leaked.isEmpty, "`\(command) --verbose` printed \(leaked)")
                    // Nor the PKCE verifier or a DPoP proof / authorization header, whatever their value.
                    for marker in ["code_verifier", "Authorization: DPoP", "\"d\":", "refresh_token="] {
                        #expect(!result.allOutput.contains(marker), "`\(command) --verbose` printed \(marker)")
                    }
                }
                let serverLog = cli.server.stderr
                let leaked = leakedSecrets(secrets, in: serverLog)
                #expect(leaked.isEmpty, "the dev-server log printed \(leaked)")
            }
        }
    }
}
