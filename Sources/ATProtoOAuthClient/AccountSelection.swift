import Foundation

/// Which account a command means, from the places a person can name one — the one rule every
/// front end shares, as `gh` does with a positional argument, a flag and `GH_HOST`.
///
/// Precedence: an account given as an argument, then an `--account` option, then the
/// ``environmentVariable``, then the store's default. None of them changes the stored default.
/// A blank value counts as not given.
///
/// ```swift
/// let selection = AccountSelection(
///     argument: nil, option: "alice.test", environment: ProcessInfo.processInfo.environment)
/// selection.query   // "alice.test": resolve it as a handle, DID or unique prefix
/// selection.source  // .option
/// ```
public struct AccountSelection: Sendable, Hashable {
    /// `ATPROTO_OAUTH_ACCOUNT`: the account commands use when none is named on the command line.
    public static let environmentVariable = "ATPROTO_OAUTH_ACCOUNT"

    /// Where the chosen account came from.
    public enum Source: String, Sendable, Hashable {
        /// The command's `[<account>]` argument.
        case argument
        /// The `--account` option.
        case option
        /// ``AccountSelection/environmentVariable``.
        case environment
        /// Nothing named one: the store's default account (or, for a command that reports on
        /// every account, all of them).
        case `default`
    }

    /// What names the account — a handle, a DID or a unique prefix — or `nil` for the default.
    public let query: String?
    /// Where ``query`` came from.
    public let source: Source

    /// Applies the precedence rule to what the person gave.
    public init(argument: String?, option: String?, environment: [String: String]) {
        let candidates: [(String?, Source)] = [
            (argument, .argument), (option, .option), (environment[Self.environmentVariable], .environment),
        ]
        for (value, source) in candidates {
            if let value, !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                self.query = value
                self.source = source
                return
            }
        }
        self.query = nil
        self.source = .default
    }
}
