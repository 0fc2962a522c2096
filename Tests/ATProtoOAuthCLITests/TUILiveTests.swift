import Foundation
import Testing

extension EndToEnd {
    /// The account manager stays current: `atproto-oauth tui` open in a real terminal (tmux,
    /// 100×30) on a store, while `login`, `refresh` and `logout` run as separate processes
    /// against the dev network, as in another terminal. Each change must reach the pane
    /// without a key press, within about a second of the other command's exit (inotify on the
    /// store). Every expectation polls `capture-pane` against a deadline; no fixed sleeps.
    @Suite("TUI live updates under tmux")
    struct TUILiveTests {
        /// How soon after the other process exits the pane must show its change: the issue's
        /// "within a second", plus the time one `tmux capture-pane` takes on a loaded machine.
        static let liveDeadline: Duration = .milliseconds(1500)

        @Test(
            "another terminal's login, refresh and logout appear in the open TUI within about a second, no key pressed",
            .timeLimit(.minutes(3)))
        func otherProcessesChangesAppear() async throws {
            let binary = try CLI.requireBinary()
            try await withHarness { cli in
                var environment = cli.environment(browser: nil)
                environment["LANG"] = "C.UTF-8"
                environment["LC_ALL"] = nil  // an inherited LC_ALL=C would override the UTF-8 LANG
                environment["TMPDIR"] = cli.home.root.path
                let tmux = try Tmux(environment: environment, scratch: cli.home.root)
                let arguments = ["tui", "--no-browser", "--store", cli.home.store.path] + cli.server.clientFlags
                let command =
                    ([binary.path] + arguments).map { "'\($0)'" }.joined(separator: " ") + "; echo EXITED=$?; sleep 30"
                try await tmux.withSession(command: command) {
                    try await Self.journey(tmux, cli)
                }
            }
        }

        private static func journey(_ tmux: Tmux, _ cli: CLIHarness) async throws {
            try await tmux.waitFor("the TUI's first-run screen on the empty store") {
                $0.contains("No accounts are stored yet")
            }

            // `login` in another terminal: alice's row appears.
            let did = try await cli.loggedIn("alice.test")
            let loggedIn = try await tmux.waitFor(
                "alice.test's row after another terminal's login", timeout: liveDeadline
            ) { screen in
                aliceRow(in: screen) != nil && screen.contains(did)
            }
            #expect(loggedIn.contains("never refreshed"), "a fresh login has no refresh yet:\n\(framed(loggedIn))")

            // `refresh` in another terminal: the details pane shows the refresh.
            let refreshed = try await cli.run(["refresh", "alice.test"])
            try #require(refreshed.exitCode == 0, "refresh failed:\n\(refreshed)")
            try await tmux.waitFor("the details pane to show another terminal's refresh", timeout: liveDeadline) {
                $0.contains("last refresh") && !$0.contains("never refreshed")
            }

            // `logout` in another terminal: back to the first-run screen.
            let loggedOut = try await cli.run(["logout", "alice.test"])
            try #require(loggedOut.exitCode == 0, "logout failed:\n\(loggedOut)")
            let empty = try await tmux.waitFor(
                "the first-run screen after another terminal's logout", timeout: liveDeadline
            ) {
                screen in
                screen.contains("No accounts are stored yet") && aliceRow(in: screen) == nil
            }
            #expect(!empty.contains(did), "\(framed(empty))")

            try await tmux.send("q")
            let after = try await tmux.waitFor("EXITED= after q") { $0.contains("EXITED=") }
            #expect(after.contains("EXITED=0"), "the TUI did not exit 0:\n\(framed(after))")
        }

        /// alice.test's table row (handle, then the state badge `ok`).
        private static func aliceRow(in screen: String) -> String? {
            screen.split(separator: "\n").map(String.init).first { line in
                line.contains("alice.test") && line.firstMatch(of: /\bok\s+\d{1,2}:\d{2}\b/) != nil
            }
        }
    }
}
