import Foundation
import Testing

/// The example program `Examples/GetSession`, built by `swift build` next to `atproto-oauth`.
enum GetSessionExample {
    static let binary: URL = CLI.binary.deletingLastPathComponent().appendingPathComponent("GetSession")

    /// The binary, or a clear failure telling the reader to build it.
    static func requireBinary() throws -> URL {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw SupportError(
                "\(binary.path) is missing: run `swift build` first (this test drives the built example)")
        }
        return binary
    }

    /// Runs the example with `arguments`, the scripted browser in `follow` mode, and a private home.
    static func run(_ arguments: [String], home: TestHome, timeout: Duration = .seconds(40)) async throws -> CLIResult {
        let environment = CLI.environment(
            home: home.root,
            extra: [
                "BROWSER": Browser.command, "BROWSER_MODE": BrowserMode.follow.rawValue,
                "BROWSER_LOG": home.browserLog.path,
            ])
        let child = try ChildProcess(executable: try requireBinary(), arguments: arguments, environment: environment)
        return await child.wait(timeout: timeout)
    }
}

extension EndToEnd {
    @Suite("example GetSession (library products only)")
    struct ExampleEndToEndTests {
        @Test("GetSession logs in from a handle on the dev network and prints getSession's JSON")
        func fromHandle() async throws {
            try await expectGetSession(account: "alice.test", input: { $0.handle })
        }

        @Test("GetSession logs in from a DID on the dev network and prints getSession's JSON")
        func fromDID() async throws {
            try await expectGetSession(account: "bob.test", input: { $0.did })
        }

        @Test("GetSession without an account prints its usage and exits 2")
        func usage() async throws {
            let home = try TestHome()
            defer { home.cleanUp() }
            let result = try await GetSessionExample.run([], home: home, timeout: .seconds(10))
            #expect(result.exitCode == 2, "\(result)")
            #expect(result.stderr.contains("usage: GetSession"), "\(result)")
        }

        private func expectGetSession(
            account handle: String, input: (DevServerInfo.Account) -> String
        ) async throws {
            _ = try GetSessionExample.requireBinary()
            _ = try CLI.requireBinary()
            let home = try TestHome()
            defer { home.cleanUp() }
            try await withDevServer(["--auto-approve"]) { server in
                let account = try server.info.account(handle)
                let result = try await GetSessionExample.run([input(account)] + server.clientFlags, home: home)
                #expect(result.exitCode == 0, "\(result)\nbrowser log:\n\(home.browserLogText)")
                let report = try result.object()
                #expect(report["did"] as? String == account.did, "\(result)")
                #expect(report["handle"] as? String == handle, "\(result)")
                // The authorization URL is shown in case the browser does not start.
                #expect(result.stderr.contains("/oauth/authorize"), "\(result)")
                // The in-memory store writes nothing: no account files under the home.
                #expect(!FileManager.default.fileExists(atPath: home.store.path), "\(result)")
            }
        }
    }
}
