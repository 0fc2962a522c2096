import Foundation
import Testing

extension EndToEnd {
    /// `login --paste`: a browser on another machine (browser.py `capture`) reaches the callback
    /// redirect but never requests our listener; the person pastes the address into stdin.
    @Suite("login --paste (headless login)")
    struct PasteLoginTests {
        /// The environment of a login whose browser captures the callback address into `file`.
        private func capturing(_ cli: CLIHarness, into file: URL) -> [String: String] {
            var environment = cli.environment(browser: nil)
            environment["BROWSER"] = Browser.command
            environment["BROWSER_MODE"] = "capture"
            environment["BROWSER_LOG"] = cli.home.browserLog.path
            environment["BROWSER_CAPTURE"] = file.path
            return environment
        }

        /// Waits for the scripted browser to write the callback address.
        private func captured(_ file: URL, cli: CLIHarness) async throws -> String {
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                if let text = try? String(contentsOf: file, encoding: .utf8), !text.isEmpty { return text }
                try await Task.sleep(for: .milliseconds(20))
            }
            throw SupportError("the browser captured no callback address; its log:\n\(cli.home.browserLogText)")
        }

        private func startLogin(_ cli: CLIHarness, capture: URL) throws -> InteractiveProcess {
            try InteractiveProcess(
                [
                    "login", "alice.test", "--paste", "--json", "--callback-timeout", "30", "--store",
                    cli.home.store.path,
                ]
                    + cli.server.clientFlags,
                environment: capturing(cli, into: capture))
        }

        @Test("The pasted callback address completes the login (exit 0); the listener never saw a request")
        func pastedAddressLogsIn() async throws {
            try await withHarness { cli in
                let capture = cli.home.root.appendingPathComponent("callback.url")
                let login = try startLogin(cli, capture: capture)
                let callback = try await captured(capture, cli: cli)
                #expect(await login.waitForStderr("paste the address"), "no paste prompt:\n\(login.stderr)")
                try login.type(callback)
                let result = await login.finish()
                #expect(result.exitCode == 0, "\(result)\nbrowser log:\n\(cli.home.browserLogText)")
                let alice = try cli.server.info.account("alice.test")
                #expect(try result.object()["did"] as? String == alice.did)
                #expect(cli.accountFiles() == ["\(alice.did).json"])
                // The callback step says the code came from the paste, and the browser never
                // requested the loopback listener.
                #expect(result.stderr.contains("pasted:"), "\(result)")
                #expect(cli.home.browserLogText.contains("without requesting it"))
                #expect(!cli.home.browserLogText.contains("callback: HTTP"))
                // The pasted address carries the authorization code: never echoed.
                let code = try #require(
                    URLComponents(string: callback)?.queryItems?.first { $0.name == "code" }?.value)
                #expect(!result.allOutput.contains(code))
            }
        }

        @Test("R18: a pasted junk line and a wrong state are refused, the wait goes on; then the real address wins")
        func refusedPastesThenSuccess() async throws {
            try await withHarness { cli in
                let capture = cli.home.root.appendingPathComponent("callback.url")
                let login = try startLogin(cli, capture: capture)
                let callback = try await captured(capture, cli: cli)
                #expect(await login.waitForStderr("paste the address"))

                try login.type("this is not an address")
                #expect(await login.waitForStderr("Not this login's callback"), "\(login.stderr)")
                let forged = callback.replacingOccurrences(of: "state=", with: "state=forged")
                try login.type(forged)
                #expect(await login.waitForStderr("does not carry the state"), "\(login.stderr)")
                #expect(login.process.isRunning, "a refused paste ended the login:\n\(login.stderr)")

                try login.type(callback)
                let result = await login.finish()
                #expect(result.exitCode == 0, "\(result)")
                #expect(result.stderr.components(separatedBy: "Not this login's callback").count == 3, "\(result)")
                let code = try #require(
                    URLComponents(string: callback)?.queryItems?.first { $0.name == "code" }?.value)
                #expect(!result.allOutput.contains(code))
            }
        }

        @Test("R18: a paste with this login's state and a wrong iss ends the login (exit 4); nothing stored")
        func wrongIssuerPasteEndsTheLogin() async throws {
            try await withHarness { cli in
                let capture = cli.home.root.appendingPathComponent("callback.url")
                let login = try startLogin(cli, capture: capture)
                let callback = try await captured(capture, cli: cli)
                var components = try #require(URLComponents(string: callback))
                components.queryItems = components.queryItems?.map {
                    $0.name == "iss" ? URLQueryItem(name: "iss", value: "http://127.0.0.1:9") : $0
                }
                try login.type(try #require(components.string))
                let result = await login.finish()
                #expect(result.exitCode == 4, "\(result)")
                #expect(result.stderr.contains("iss"), "\(result)")
                #expect(cli.accountFiles().isEmpty)
            }
        }

        @Test("Over SSH with neither DISPLAY nor BROWSER, login says that --paste exists")
        func sshHintMentionsPaste() async throws {
            try await withHarness { cli in
                var environment = cli.environment(browser: nil)
                environment["SSH_CONNECTION"] = "192.0.2.1 50000 192.0.2.2 22"
                environment["PATH"] = "/nonexistent"  // no xdg-open either
                let result = try await CLI.run(
                    ["login", "alice.test", "--callback-timeout", "1", "--store", cli.home.store.path]
                        + cli.server.clientFlags,
                    environment: environment)
                #expect(result.stderr.contains("--paste"), "\(result)")

                environment["DISPLAY"] = ":0"
                let withDisplay = try await CLI.run(
                    ["login", "alice.test", "--callback-timeout", "1", "--store", cli.home.store.path]
                        + cli.server.clientFlags,
                    environment: environment)
                #expect(!withDisplay.stderr.contains("--paste"), "\(withDisplay)")
            }
        }
    }
}
