import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension EndToEnd {
    /// The account manager as a person meets it: the real `atproto-oauth demo` in a real
    /// terminal (a detached tmux session, 100×30, UTF-8, `TERM` as tmux sets it, no `BROWSER`
    /// so the demo logs in in-process), driven with `send-keys` and read with `capture-pane`.
    /// Every expectation polls the pane against a deadline; nothing relies on a fixed sleep.
    @Suite("TUI under tmux")
    struct TUIEndToEndTests {
        /// What the demo shows while the store is empty.
        static let firstRunMessage = "No accounts are stored yet"
        /// The discovery steps the inspector runs, in order (names may be truncated on screen).
        static let discoverySteps = [
            "resolve-handle", "resolve-did", "verify-handle", "pds-endpoint", "resource-metadata",
            "authorization-server-metadata", "profile-checks",
        ]

        @Test(
            "demo under tmux: seeded handles, a logs in, d discovers (R1–R9 ✓), L re-logs in (R17 new DPoP key), x y logs out, q restores the terminal",
            .timeLimit(.minutes(3)))
        func demoJourney() async throws {
            let binary = try CLI.requireBinary()
            let home = try TestHome()
            defer { home.cleanUp() }
            var environment = CLI.environment(
                home: home.root, extra: ["LANG": "C.UTF-8", "TMPDIR": home.root.path])
            environment["LC_ALL"] = nil  // an inherited LC_ALL=C would override the UTF-8 LANG
            let tmux = try Tmux(environment: environment, scratch: home.root)
            try await tmux.withSession(command: "'\(binary.path)' demo; echo EXITED=$?; stty -a; sleep 30") {
                try await Self.journey(tmux)
            }
        }

        private static func journey(_ tmux: Tmux) async throws {
            // The first-run screen offers the seeded handles.
            try await tmux.waitFor("the first-run screen with the seeded handles") { screen in
                ["alice.test", "bob.test", "carol.test", firstRunMessage].allSatisfy(screen.contains)
            }

            // `a` opens the login prompt with the first suggestion prefilled; Enter logs in.
            try await tmux.send("a")
            try await tmux.waitFor("the login prompt prefilled with alice.test") { screen in
                lines(screen).contains { $0.hasSuffix(": alice.test") }
            }
            try await tmux.send("Enter")
            let loggedIn = try await tmux.waitFor("alice.test's row, state ok with a m:ss countdown") {
                countdown(in: $0) != nil
            }
            #expect(rows(in: loggedIn) == 1, "one account row expected:\n\(framed(loggedIn))")
            // The countdown ticks without a key press (the run loop polls with a timeout).
            let first = countdown(in: loggedIn)
            try await tmux.waitFor("the countdown to tick past \(first ?? "?")", timeout: .seconds(5)) { screen in
                countdown(in: screen).map { $0 != first } ?? false
            }

            // `d`, type bob.test over the prefilled suggestion, Enter: every step ✓.
            try await tmux.send("d")
            try await tmux.waitFor("the discovery inspector's prompt") { $0.contains("Inspect") }
            try await tmux.type("bob.test")
            try await tmux.waitFor("the prompt to read exactly bob.test") { screen in
                lines(screen).contains { $0.hasSuffix(": bob.test") }
            }
            try await tmux.send("Enter")
            let discovered = try await tmux.waitFor("discovery of bob.test to finish") { screen in
                let steps = stepMarks(in: screen)
                return screen.contains("✗")
                    || (steps.count == discoverySteps.count && steps.allSatisfy { $0 == "✓" }
                        && checks(in: screen) != nil)
            }
            #expect(!discovered.contains("✗"), "a step or check failed:\n\(framed(discovered))")
            let marks = stepMarks(in: discovered)
            #expect(
                marks == Array(repeating: "✓", count: discoverySteps.count),
                "expected 7 ✓ steps, saw \(marks):\n\(framed(discovered))")
            let counts = checks(in: discovered)
            #expect((counts?.passed ?? 0) > 0, "no passed profile checks:\n\(framed(discovered))")
            #expect(counts?.failed == 0, "failed profile checks:\n\(framed(discovered))")

            // Esc goes back to the accounts screen, with the details pane of the selected account.
            try await tmux.send("Escape")
            let back = try await tmux.waitFor("the accounts screen with the DPoP thumbprint") { screen in
                countdown(in: screen) != nil && thumbprint(in: screen) != nil
            }
            let oldKey = try #require(thumbprint(in: back))

            // `L` logs the selected account in again: a new login makes a new DPoP key (R17).
            try await tmux.send("L")
            let relogged = try await tmux.waitFor("a new DPoP thumbprint after L") { screen in
                countdown(in: screen) != nil && thumbprint(in: screen).map { $0 != oldKey } ?? false
            }
            #expect(rows(in: relogged) == 1, "re-login must replace the account, not add one:\n\(framed(relogged))")

            // `x` asks, `y` confirms: the store is empty again.
            try await tmux.send("x")
            try await tmux.waitFor("the logout confirmation") { $0.contains("Log out alice.test?") }
            try await tmux.send("y")
            let empty = try await tmux.waitFor("the first-run message after logout") { screen in
                screen.contains(firstRunMessage) && countdown(in: screen) == nil
            }
            #expect(rows(in: empty) == 0, "\(framed(empty))")

            // `q` quits with 0 and leaves the shell's terminal cooked (icanon, echo).
            try await tmux.send("q")
            let after = try await tmux.waitFor("EXITED= and `stty -a` after q", joined: true) { screen in
                let words = Set(terminalWords(screen))
                return screen.contains("EXITED=")
                    && (words.contains("icanon") || words.contains("-icanon"))
                    && (words.contains("echo") || words.contains("-echo"))
            }
            #expect(after.contains("EXITED=0"), "the demo did not exit 0:\n\(framed(after))")
            let words = Set(terminalWords(after))
            #expect(words.contains("icanon") && !words.contains("-icanon"), "not restored:\n\(framed(after))")
            #expect(words.contains("echo") && !words.contains("-echo"), "not restored:\n\(framed(after))")
        }

        // MARK: reading the screen

        private static func lines(_ screen: String) -> [String] {
            screen.split(separator: "\n", omittingEmptySubsequences: false).map {
                String($0).trimmingCharacters(in: .whitespaces)
            }
        }

        /// The account rows: a handle, the state badge `ok` and the access-token countdown.
        private static var rowPattern: Regex<(Substring, Substring)> { /\.test\b.*\bok\s+(\d{1,2}:\d{2})\b/ }

        /// The countdown of alice.test's row (`4:58`), when her row shows state ok.
        private static func countdown(in screen: String) -> String? {
            for line in lines(screen) where line.contains("alice.test") {
                if let match = line.firstMatch(of: rowPattern) { return String(match.1) }
            }
            return nil
        }

        private static func rows(in screen: String) -> Int {
            lines(screen).filter { $0.firstMatch(of: rowPattern) != nil }.count
        }

        /// The details pane's `DPoP jkt <thumbprint>`.
        private static func thumbprint(in screen: String) -> String? {
            for line in lines(screen) {
                if let match = line.firstMatch(of: /DPoP jkt\s+([A-Za-z0-9_-]{20,})/) { return String(match.1) }
            }
            return nil
        }

        /// The mark (✓, ✗ or a spinner frame) of each discovery step line, top to bottom. A
        /// step line is a mark followed by a step name, possibly truncated with `…`.
        private static func stepMarks(in screen: String) -> [String] {
            lines(screen).compactMap { line in
                var rest = Substring(line)
                if rest.hasPrefix(">") { rest = rest.dropFirst().drop { $0 == " " } }
                guard let mark = rest.first, mark != " " else { return nil }
                let words = rest.dropFirst().split(separator: " ")
                guard let word = words.first else { return nil }
                let stem = word.hasSuffix("…") ? word.dropLast() : word
                let isStep = discoverySteps.contains { word.hasSuffix("…") ? $0.hasPrefix(stem) : $0 == stem }
                return stem.count >= 3 && isStep ? String(mark) : nil
            }
        }

        /// `Profile checks: N passed, M failed`.
        private static func checks(in screen: String) -> (passed: Int, failed: Int)? {
            guard let match = screen.firstMatch(of: /Profile checks:\s*(\d+) passed,\s*(\d+) failed/),
                let passed = Int(match.1), let failed = Int(match.2)
            else { return nil }
            return (passed, failed)
        }

        /// The words of `stty -a` (and everything else in the pane).
        private static func terminalWords(_ screen: String) -> [String] {
            screen.split { $0.isWhitespace || $0 == ";" }.map(String.init)
        }
    }
}

/// A pane for failure messages, so a reader sees exactly what the terminal showed.
func framed(_ screen: String) -> String {
    let body = screen.split(separator: "\n", omittingEmptySubsequences: false).map { "│\($0)" }
    return "┌── pane ──\n" + body.joined(separator: "\n") + "\n└──"
}

/// A private tmux server (`tmux -L <unique socket>`, no config file) holding one session
/// (shared with TUILiveTests).
/// tmux is awaited through `terminationHandler`, so no cooperative thread blocks on it.
struct Tmux: Sendable {
    let executable: URL
    let socket = "atproto-tui-e2e-\(UUID().uuidString.prefix(8))"
    let session = "demo"
    let environment: [String: String]
    let scratch: URL

    init(environment: [String: String], scratch: URL) throws {
        executable = try Self.locate(path: environment["PATH"])
        self.environment = environment
        self.scratch = scratch
    }

    /// tmux from `PATH` (or the usual places); a failure, not a skip, when it is missing.
    static func locate(path: String?) throws -> URL {
        let directories = (path ?? "").split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
        for directory in directories where !directory.isEmpty {
            let candidate = URL(fileURLWithPath: directory).appendingPathComponent("tmux")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw SupportError("tmux is not installed: run scripts/install-deps (the TUI end-to-end test needs it)")
    }

    /// Starts `command` in a detached 100×30 session, runs `body`, and always kills the server.
    func withSession(command: String, _ body: () async throws -> Void) async throws {
        var socketPath = ""
        do {
            try await run(["new-session", "-d", "-x", "100", "-y", "30", "-s", session, command])
            socketPath = try await run(["display-message", "-p", "-t", session, "#{socket_path}"])
                .trimmingCharacters(in: .whitespacesAndNewlines)
            try await body()
        } catch {
            await killServer(socketPath: socketPath)
            throw error
        }
        await killServer(socketPath: socketPath)
    }

    /// Named keys or literal characters, as `tmux send-keys` understands them (`Enter`, `a`).
    func send(_ keys: String...) async throws {
        try await run(["send-keys", "-t", session] + keys)
    }

    /// Text typed character by character (`send-keys -l`).
    func type(_ text: String) async throws {
        try await run(["send-keys", "-t", session, "-l", text])
    }

    /// The visible pane; `joined` undoes the pane's line wrapping (for `stty -a`).
    func capture(joined: Bool = false) async throws -> String {
        try await run(["capture-pane", "-p", "-t", session] + (joined ? ["-J"] : []))
    }

    /// Polls the pane every 100 ms until `predicate` holds; after `timeout` fails with the pane.
    @discardableResult
    func waitFor(
        _ what: String, timeout: Duration = .seconds(15), joined: Bool = false, _ predicate: (String) -> Bool
    ) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            let screen = try await capture(joined: joined)
            if predicate(screen) { return screen }
            if ContinuousClock.now >= deadline {
                throw SupportError("timed out after \(timeout) waiting for \(what); the pane shows:\n\(framed(screen))")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Ends the server (SIGHUP to the pane's processes) and removes its socket file, which
    /// tmux leaves behind.
    func killServer(socketPath: String) async {
        _ = try? await run(["kill-server"], check: false)
        if socketPath.hasSuffix("/\(socket)") { try? FileManager.default.removeItem(atPath: socketPath) }
    }

    /// Runs `tmux -L <socket> -f /dev/null <arguments>`; its output goes through files (never
    /// a pipe that could fill). Awaited by polling `waitpid(WNOHANG)` between `Task.sleep`s, so
    /// no cooperative thread blocks; killed after `timeout`.
    @discardableResult
    func run(_ arguments: [String], check: Bool = true, timeout: Duration = .seconds(10)) async throws -> String {
        let id = UUID().uuidString
        let outPath = scratch.appendingPathComponent("tmux-\(id).out").path
        let errPath = scratch.appendingPathComponent("tmux-\(id).err").path
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        let pid = try CleanSpawn.start(
            executable.path, ["-L", socket, "-f", "/dev/null"] + arguments, environment: environment,
            stdout: outPath, stderr: errPath)
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if ContinuousClock.now >= deadline || Task.isCancelled {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)  // already dead: returns at once
                throw SupportError("tmux \(arguments.joined(separator: " ")) did not finish within \(timeout)")
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        if check, !exited || code != 0 {
            let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            throw SupportError(
                "tmux \(arguments.joined(separator: " ")) ended with status \(status) (exit \(code)): \(stderr)")
        }
        return stdout
    }
}
