import ATProtoOAuth
import Foundation

extension OAuthClient {
    /// The account a person means by `query`, in any store, or the default account when
    /// `query` is `nil`:
    /// 1. a DID, exactly (DIDs are case-sensitive);
    /// 2. a handle, exactly but case-insensitively, with or without a leading `@`;
    /// 3. a unique prefix of a handle (case-insensitive) or of a DID.
    ///
    /// Several prefix matches throw ``AccountResolutionError/Code-swift.struct/ambiguousAccount``
    /// listing them; none throws `.accountNotFound` listing the known accounts (or `.noAccounts`
    /// for an empty store), noting entries that could not be read. When the query is a DID
    /// the store holds but cannot use, the store's own error is thrown, not "not found".
    public func resolveAccount(_ query: String?) async throws -> Session {
        guard let query else {
            guard let did = await defaultAccount() else {
                throw AccountResolutionError(
                    .noAccounts,
                    "no account named and no default account; name one, or run `atproto-oauth switch <account>`")
            }
            return try await store.load(did)
        }
        let needle = SessionListing.accountQuery(query)
        guard !needle.isEmpty else {
            throw AccountResolutionError(
                .accountNotFound, "no account given; name one by handle, DID or a unique prefix")
        }

        // Matched on the summaries (no secret decoded for the accounts not chosen), then loaded.
        let listing = try await store.summaries()
        let sessions = listing.summaries
        // A DID the listing could not read: the store's own reason beats "not found".
        if let did = try? DID(needle), !sessions.contains(where: { $0.did == did }),
            listing.problems.contains(where: { $0.location.contains(did.rawValue) })
        {
            return try await store.load(did)
        }
        switch sessions.match(account: needle) {
        case .found(let summary):
            return try await store.load(summary.did)
        case .ambiguous(let candidates):
            throw AccountResolutionError(
                .ambiguousAccount,
                "'\(needle)' matches \(candidates.count) accounts: \(candidates.accountNames); "
                    + "give more of the handle, or the full DID")
        case .none:
            break
        }

        let problemNote =
            listing.problems.isEmpty
            ? ""
            : "; \(listing.problems.count) stored account(s) could not be read: "
                + listing.problems.prefix(3).map { "\($0.location) (\($0.reason))" }.joined(separator: "; ")
                + (listing.problems.count > 3 ? "; …" : "")
        if sessions.isEmpty {
            throw AccountResolutionError(
                .noAccounts,
                "no account matches '\(needle)': the store has no accounts yet "
                    + "(log in with: atproto-oauth login <handle>)" + problemNote)
        }
        throw AccountResolutionError(
            .accountNotFound,
            "no account matches '\(needle)'; known accounts: \(sessions.accountNames)" + problemNote)
    }
}

/// Why ``OAuthClient/resolveAccount(_:)`` found no single account. The command-line tool
/// reports it as a store error (exit 6).
public struct AccountResolutionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of miss this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case accountNotFound, ambiguousAccount, noAccounts
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        public var description: String { base.rawValue }

        /// No stored account matches.
        public static let accountNotFound = Code(.accountNotFound)
        /// Several accounts match a prefix; the reason lists them.
        public static let ambiguousAccount = Code(.ambiguousAccount)
        /// The store holds no accounts, or no account was named and none is the default.
        public static let noAccounts = Code(.noAccounts)
    }

    /// What kind of miss this is.
    public let code: Code
    /// What is wrong and what to do, with the candidates or known accounts.
    public let reason: String

    /// Makes an error.
    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { reason }
}
