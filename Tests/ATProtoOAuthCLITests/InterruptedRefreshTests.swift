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
                let sendAt = try await tokenRequestSentAfter(cli)
                var exits: [String: Int] = [:]
                var answered = 0
                for run in 0..<Self.runsPerSignal {
                    let before = tokenAnswers(cli)
                    let child = try cli.spawn(["refresh", did])
                    let offset = Duration.milliseconds(80 * run / (Self.runsPerSignal - 1))
                    try await Task.sleep(for: sendAt + offset)
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
                    #expect(
                        check.exitCode == 0,
                        "run \(run) (signal \(sendAt + offset) after spawn) lost the session:\n\(check)")
                    if check.exitCode == 5 { try await cli.loggedIn("alice.test") }
                    if tokenAnswers(cli) > before + 1 { answered += 1 }
                }
                print(
                    "interrupted refreshes: signal \(number), token request sent ~\(sendAt) after spawn; "
                        + "\(answered)/\(Self.runsPerSignal) interrupted runs had their token request answered; \(exits)"
                )
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

        /// How long after spawn a `refresh` sends its token request on this machine now: the
        /// median of 3 `refresh --verbose` runs, from when the token response line appears minus
        /// the duration it reports.
        private func tokenRequestSentAfter(_ cli: CLIHarness) async throws -> Duration {
            var samples: [Duration] = []
            for _ in 0..<3 {
                let start = ContinuousClock.now
                let child = try cli.spawn(["refresh", "--verbose"])
                var sample: Duration?
                while sample == nil {
                    let running = child.isRunning
                    let seen = ContinuousClock.now - start
                    sample = Self.tokenRequestDuration(in: child.stderr).map { seen - $0 }
                    if !running { break }
                    try await Task.sleep(for: .milliseconds(1))
                }
                let result = await child.wait(timeout: .seconds(30))
                try #require(result.exitCode == 0, "calibration refresh failed:\n\(result)")
                samples.append(try #require(sample, "no token request in:\n\(result)"))
            }
            return samples.sorted()[samples.count / 2]
        }

        /// `123` in the `--verbose` line `→ POST <as>/oauth/token ← 200 (123 ms)`.
        static func tokenRequestDuration(in stderr: String) -> Duration? {
            guard let line = stderr.split(separator: "\n").first(where: { $0.contains("/oauth/token ←") }),
                let open = line.lastIndex(of: "("),
                let milliseconds = Int(line[line.index(after: open)...].prefix { $0.isNumber })
            else { return nil }
            return .milliseconds(milliseconds)
        }

        /// Token-endpoint successes the dev server logged so far.
        private func tokenAnswers(_ cli: CLIHarness) -> Int {
            cli.server.stderr.components(separatedBy: "/oauth/token → 200").count - 1
        }
    }
}
