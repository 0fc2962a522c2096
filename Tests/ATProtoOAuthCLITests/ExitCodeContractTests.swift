import Foundation
import Testing

extension EndToEnd {
    /// The exit codes are a documented contract (`--help`, README): scripts branch on them.
    @Suite("exit-code contract")
    struct ExitCodeContractTests {
        /// The code `--help` documents for a phrase, e.g. "usage error" → 2.
        static func documentedCode(_ phrase: String) async throws -> Int32 {
            let help = try await CLI.run(["--help"], environment: CLI.environment(home: nil))
            for line in help.stdout.split(separator: "\n") {
                let words = line.trimmingCharacters(in: .whitespaces)
                guard words.hasSuffix(phrase) || words.contains("  \(phrase)") else { continue }
                if let code = Int32(words.prefix { $0.isNumber }) { return code }
            }
            throw SupportError("`atproto-oauth --help` documents no exit code for \"\(phrase)\":\n\(help)")
        }

        @Test(
            "Usage errors exit with the documented usage code",
            arguments: [
                ["login"],  // missing <input>
                ["status", "--no-such-flag"],
                ["refresh", "alice.test", "--all"],  // validate(): account and --all
                ["login", "alice.test", "--client-id", "http://example.com/client.json"],  // R10, from run()
                ["request", "not-an-nsid"],  // R28
            ])
        func usageErrors(_ arguments: [String]) async throws {
            let usage = try await Self.documentedCode("usage error")
            let home = try TestHome()
            defer { home.cleanUp() }
            let result = try await CLI.run(
                arguments + ["--store", home.store.path], environment: CLI.environment(home: home.root))
            #expect(result.exitCode == usage, "documented usage code is \(usage):\n\(result)")
            #expect(!result.stderr.isEmpty, "a usage error says what is wrong")
        }

        @Test("An unknown account or no default account is a store error (6); an empty store lists nothing (0)")
        func storeErrors() async throws {
            let home = try TestHome()
            defer { home.cleanUp() }
            let environment = CLI.environment(home: home.root)
            let store = ["--store", home.store.path]
            let unknown = try await CLI.run(["token", "nobody.test"] + store, environment: environment)
            #expect(unknown.exitCode == 6, "\(unknown)")
            #expect(unknown.stderr.contains("error:"), "\(unknown)")
            let noDefault = try await CLI.run(["token"] + store, environment: environment)
            #expect(noDefault.exitCode == 6, "\(noDefault)")
            #expect(noDefault.stdout.isEmpty, "\(noDefault)")
            let empty = try await CLI.run(["accounts", "--json"] + store, environment: environment)
            #expect(empty.exitCode == 0, "\(empty)")
            let document = try AccountsDocument(empty)
            #expect(document.accounts.isEmpty && document.problems.isEmpty)
        }
    }
}
