import Foundation
import Testing

extension EndToEnd {
    /// The harness itself: if these fail, every other end-to-end failure is about the plumbing.
    @Suite("harness: dev-server subprocess")
    struct DevServerHarnessTests {
        @Test("dev-server prints its info line, serves discovery to the binary, and exits 0 on SIGTERM")
        func startDiscoverStop() async throws {
            let server = try await DevServerProcess.start(["--auto-approve"])
            let info = server.info
            #expect(info.accounts.map(\.handle) == ["alice.test", "bob.test", "carol.test"])
            #expect(info.pds.count == 3, "entryway PDS, self-hosted PDS, second entryway PDS")
            #expect(info.clientFlags.contains("--allow-http-loopback"))

            let home = try TestHome()
            defer { home.cleanUp() }
            let discovered = try await CLI.run(
                ["discover", "alice.test", "--json"] + info.clientFlags, environment: CLI.environment(home: home.root))
            #expect(discovered.exitCode == 0, "\(discovered)")
            let alice = try info.account("alice.test")
            #expect(discovered.stdout.contains(alice.did), "\(discovered)")
            #expect(discovered.stdout.contains(info.entryway), "\(discovered)")

            let stopped = await server.stop()
            #expect(stopped.exitCode == 0 && !stopped.signalled, "dev-server must exit 0 on SIGTERM:\n\(stopped)")
            #expect(stopped.stderr.contains("/.well-known/oauth-authorization-server"), "requests are logged")
        }

        @Test("A missing or failing command is reported with its output, not hung on")
        func failingCommandIsReported() async throws {
            let result = try await CLI.run(
                ["no-such-command"], environment: CLI.environment(home: nil), timeout: .seconds(20))
            #expect(result.exitCode != 0)
            #expect(result.stderr.contains("no-such-command") || result.stderr.contains("Usage"), "\(result)")
        }
    }
}
