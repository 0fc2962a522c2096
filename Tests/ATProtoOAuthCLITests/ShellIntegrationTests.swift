import Foundation
import Testing

extension EndToEnd {
    /// `completion bash|zsh|fish` and the man page kept in `Documentation/atproto-oauth.1`.
    @Suite("Shell integration: completion scripts and the man page")
    struct ShellIntegrationTests {
        static let manualPage = CLI.packageRoot.appendingPathComponent("Documentation/atproto-oauth.1")

        @Test("completion bash|zsh|fish: each script completes <account> and --account by asking the binary")
        func scriptsHookAccountCompletion() async throws {
            for shell in ["bash", "zsh", "fish"] {
                let result = try await CLI.run(["completion", shell], environment: CLI.environment(home: nil))
                #expect(result.exitCode == 0, "\(result)")
                for command in ["token", "refresh", "logout", "status", "switch"] {
                    #expect(
                        result.stdout.contains("---completion \(command) -- positional@0"),
                        "\(shell): <account> of \(command) does not complete")
                }
                for command in ["token", "refresh", "logout", "status", "api"] {
                    #expect(
                        result.stdout.contains("---completion \(command) -- --account"),
                        "\(shell): --account of \(command) does not complete")
                }
            }
            let unknown = try await CLI.run(["completion", "powershell"], environment: CLI.environment(home: nil))
            #expect(unknown.exitCode == 2, "\(unknown)")
        }

        @Test("<account> completes from the store's handles and DIDs: through bash itself, and as zsh and fish ask")
        func accountNamesComplete() async throws {
            try await withHarness { cli in
                let alice = try await cli.loggedIn("alice.test")
                let carol = try await cli.loggedIn(try cli.server.info.account("carol.test").pds)
                let names = ["alice.test", alice, carol]

                // What the zsh and fish scripts run (and bash's): the binary's completion entry,
                // with the store named on the command line being completed.
                for shell in ["zsh", "fish", "bash"] {
                    var environment = CLI.environment(home: nil)
                    environment["SAP_SHELL"] = shell
                    let words = ["atproto-oauth", "token", "--store", cli.home.store.path, ""]
                    let asked = try await CLI.run(
                        ["---completion", "token", "--", "positional@0", "4", "0"] + words, environment: environment)
                    #expect(asked.exitCode == 0, "\(asked)")
                    for name in names { #expect(asked.stdout.contains(name), "\(shell): \(asked)") }
                    // The default store (ATPROTO_OAUTH_HOME) is used when the line names none.
                    let viaHome = try await CLI.run(
                        [
                            "---completion", "logout", "--", "--account", "3", "0", "atproto-oauth", "logout",
                            "--account", "",
                        ],
                        environment: cli.environment(browser: nil).merging(["SAP_SHELL": shell]) { _, new in new })
                    for name in names { #expect(viaHome.stdout.contains(name), "\(shell): \(viaHome)") }
                }

                // bash, for real: source the script and press TAB after `atproto-oauth token `.
                guard FileManager.default.isExecutableFile(atPath: "/bin/bash") else { return }
                let bin = cli.home.root.appendingPathComponent("bin", isDirectory: true)
                try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
                try FileManager.default.createSymbolicLink(
                    at: bin.appendingPathComponent("atproto-oauth"), withDestinationURL: CLI.binary)
                let script = cli.home.root.appendingPathComponent("completion.bash")
                let generated = try await CLI.run(["completion", "bash"], environment: CLI.environment(home: nil))
                try generated.stdout.write(to: script, atomically: true, encoding: .utf8)
                let line = "atproto-oauth token "
                let driver = """
                    source '\(script.path)'
                    COMP_LINE='\(line)'; COMP_POINT=\(line.count)
                    COMP_WORDS=(atproto-oauth token ''); COMP_CWORD=2
                    _atproto-oauth
                    printf '%s\\n' "${COMPREPLY[@]}"
                    """
                var environment = cli.environment(browser: nil)
                environment["PATH"] = bin.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
                let bash = try await Shell.run("/bin/bash", ["-c", driver], environment: environment)
                let offered = Set(bash.split(separator: "\n").map(String.init))
                #expect(Set(names).isSubset(of: offered), "bash offered: \(offered)")
            }
        }

        @Test("Documentation/atproto-oauth.1 is what `atproto-oauth generate-manual` makes from the commands now")
        func manualPageIsCurrent() async throws {
            let result = try await CLI.run(["generate-manual"], environment: CLI.environment(home: nil))
            #expect(result.exitCode == 0, "\(result)")
            let kept = try String(contentsOf: Self.manualPage, encoding: .utf8)
            let keptLines = kept.components(separatedBy: "\n")
            let freshLines = result.stdout.components(separatedBy: "\n")
            let firstDifference = zip(keptLines, freshLines).enumerated().first { $0.element.0 != $0.element.1 }
            #expect(
                kept == result.stdout,
                """
                Documentation/atproto-oauth.1 is stale (first difference at line \
                \((firstDifference?.offset ?? min(keptLines.count, freshLines.count)) + 1): \
                kept \(firstDifference.map { "'\($0.element.0)'" } ?? "\(keptLines.count) lines"), \
                now \(firstDifference.map { "'\($0.element.1)'" } ?? "\(freshLines.count) lines")). Regenerate it:
                  swift build && .build/debug/atproto-oauth generate-manual > Documentation/atproto-oauth.1
                """)
            for expected in [
                ".TH \"ATPROTO\\-OAUTH\" \"1\"", ".SS \"atproto\\-oauth login\"", "\\-\\-paste",
                "ATPROTO_OAUTH_ACCOUNT",
            ] {
                #expect(result.stdout.contains(expected), "the man page lacks \(expected)")
            }
            // The hidden generator does not document itself.
            #expect(!result.stdout.contains("generate\\-manual"))
        }
    }
}

/// Runs a program to completion and returns its stdout (for driving a shell).
enum Shell {
    static func run(_ program: String, _ arguments: [String], environment: [String: String]) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.environment = environment
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("atproto-shell-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(20)
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return (try? String(contentsOf: output, encoding: .utf8)) ?? ""
    }
}
