import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension EndToEnd {
    /// R24 through the binary: a refresh spends its single-use refresh token the moment the
    /// authorization server answers, so SIGTERM, SIGINT and SIGHUP must wait until the new
    /// token set is saved. `scripts/bench-interrupts` runs the full 30 per signal (and SIGKILL).
    @Suite("interrupted refreshes")
    struct InterruptedRefreshTests {
        static let runsPerSignal = 10

        @Test(
            "R24: 10 `refresh` runs each signalled 0–80 ms after its token request is sent: no session lost",
            arguments: [SIGTERM, SIGINT, SIGHUP])
        func signalDuringRefresh(_ number: Int32) async throws {
            // A 40 ms latency on every answer: the signal lands while the token request is out.
            try await withHarness(["--auto-approve", "--access-ttl", "1", "--latency-ms", "40"]) { cli in
                let did = try await cli.loggedIn("alice.test")
                var exits: [String: Int] = [:]
                var answered = 0
                for run in 0..<Self.runsPerSignal {
                    let before = tokenAnswers(cli)
                    let child = try cli.spawn(["refresh", did, "--verbose"])
                    // The token request follows the protected-resource metadata's answer at once
                    // (R21 re-resolves first): the delay counts from there, whatever the machine.
                    try await waitForLine(Self.precedingRequest, of: child)
                    try await Task.sleep(for: .milliseconds(80 * run / (Self.runsPerSignal - 1)))
                    child.signal(number)
                    let result = await child.wait(timeout: .seconds(30))
                    exits[result.signalled ? "signal \(result.exitCode)" : "exit \(result.exitCode)", default: 0] += 1
                    // Killed by the default action (a signal before the refresh was about to
                    // send), 128 + the signal (sent, saved, then exited), or done first.
                    let expected =
                        (result.signalled && result.exitCode == number)
                        || (!result.signalled && [0, 128 + number].contains(result.exitCode))
                    #expect(expected, "run \(run): \(result)")

                    // Outcome, not timing: the account still refreshes (a lost session is exit 5).
                    let check = try await cli.run(["refresh", did])
                    #expect(check.exitCode == 0, "run \(run) lost the session:\n\(check)")
                    if check.exitCode == 5 { try await cli.loggedIn("alice.test") }
                    if tokenAnswers(cli) > before + 1 { answered += 1 }
                }
                print(
                    "interrupted refreshes: signal \(number): \(answered)/\(Self.runsPerSignal) interrupted runs "
                        + "had their token request answered; \(exits)")
            }
        }

        @Test("A command that never refreshes keeps the default SIGTERM behaviour")
        func defaultBehaviourWithoutRefresh() async throws {
            try await withHarness(["--auto-approve"]) { cli in
                let child = try CLI.spawn(
                    ["login", "alice.test", "--callback-timeout", "30", "--store", cli.home.store.path]
                        + cli.server.clientFlags,
                    environment: cli.environment(browser: .ignore))
                // Waiting for the callback once the URL is out (the browser does nothing).
                let deadline = ContinuousClock.now + .seconds(20)
                while !cli.home.browserLogText.contains("open "), child.isRunning, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                child.signal(SIGTERM)
                let result = await child.wait(timeout: .seconds(20))
                #expect(result.signalled && result.exitCode == SIGTERM, "\(result)")
            }
        }

        /// The `--verbose` line of the request a refresh makes just before its token request.
        static let precedingRequest = "/.well-known/oauth-protected-resource ←"

        /// Waits until `child` has written a stderr line containing `text` (or has exited).
        private func waitForLine(_ text: String, of child: ChildProcess) async throws {
            let deadline = ContinuousClock.now + .seconds(30)
            while !child.stderr.contains(text), child.isRunning, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(1))
            }
        }

        /// Token-endpoint successes the dev server logged so far.
        private func tokenAnswers(_ cli: CLIHarness) -> Int {
            cli.server.stderr.components(separatedBy: "/oauth/token → 200").count - 1
        }
    }
}
