import ATProtoAccountStore
import ATProtoOAuthClient
import ATProtoOAuthLogin
import ArgumentParser
import Foundation

/// `--account <account>`, shared by every command that takes `[<account>]`. Which account a
/// command uses is the library's rule (`AccountSelection`): the argument, then `--account`,
/// then `$ATPROTO_OAUTH_ACCOUNT`, then the default. None of them changes the stored default.
struct AccountOption: ParsableArguments {
    @Option(
        name: .customLong("account"),
        help: ArgumentHelp(
            "Account to use: handle, DID or unique prefix (an [<account>] argument wins; default: $\(AccountSelection.environmentVariable), else the default account).",
            valueName: "account"),
        completion: .accounts)
    var account: String?

    /// The account the command means, given its `[<account>]` argument.
    func selection(argument: String?) -> AccountSelection {
        AccountSelection(argument: argument, option: account, environment: ProcessInfo.processInfo.environment)
    }

    /// What to resolve in the store (`nil`: the default account).
    func query(argument: String?) -> String? {
        selection(argument: argument).query
    }
}

extension CompletionKind {
    /// Completes `<account>` with the stored accounts' handles and DIDs, read from the store
    /// the command line names (`--store`) or the default one. Never touches the network, and
    /// never creates a store.
    static var accounts: CompletionKind {
        .custom { words, _, _ in AccountCompletion.candidates(words: words) }
    }
}

/// The candidates for `<account>` completion.
enum AccountCompletion {
    static func candidates(
        words: [String], environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> [String] {
        let directory =
            storeDirectory(words: words).map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? AccountStore.defaultDirectory(environment: environment)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue,
            let store = try? AccountStore(directory: directory)
        else { return [] }
        return store.loadAll().sessions.flatMap { session in
            (session.handle.map { [$0.rawValue] } ?? []) + [session.did.rawValue]
        }
    }

    /// The value of `--store DIR` or `--store=DIR` on the command line being completed, with
    /// the shell's quotes removed and `~/` expanded.
    static func storeDirectory(words: [String]) -> String? {
        var value: String?
        for (index, word) in words.enumerated() {
            if word == "--store", index + 1 < words.count {
                value = words[index + 1]
            } else if word.hasPrefix("--store=") {
                value = String(word.dropFirst("--store=".count))
            }
        }
        guard var path = value.map(unquoted), !path.isEmpty else { return nil }
        if path.hasPrefix("~/") {
            path = FileManager.default.homeDirectoryForCurrentUser.path + path.dropFirst(1)
        }
        return path
    }

    /// A shell word as typed, without its quotes and backslash escapes.
    private static func unquoted(_ word: String) -> String {
        BrowserLauncher.splitShellWords(word).joined(separator: " ")
    }
}
