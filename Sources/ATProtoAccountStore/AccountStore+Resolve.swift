import ATProtoOAuth
import Foundation

extension AccountStore {
    /// Finds the account a person means by `query`, in this order:
    /// 1. a DID, exactly (DIDs are case-sensitive);
    /// 2. a handle, exactly but case-insensitively, with or without a leading `@`;
    /// 3. a unique prefix of a handle (case-insensitive) or of a DID.
    ///
    /// Several prefix matches throw `.ambiguousAccount` listing them; none throws
    /// `.accountNotFound` listing the known accounts (or `.noAccounts` for an empty store).
    /// When the query names a DID whose file exists but cannot be used, that file's own error
    /// (permissions, corrupt, newer version) is thrown, not "not found".
    public func resolve(_ query: String) throws -> Session {
        let needle = SessionListing.accountQuery(query)
        guard !needle.isEmpty else {
            throw AccountStoreError(.accountNotFound, "no account given; name one by handle, DID or a unique prefix")
        }

        if let did = try? DID(needle), FileManager.default.fileExists(atPath: accountFileURL(for: did).path) {
            return try load(did)
        }

        let listing = loadAll()
        let sessions = listing.sessions
        switch sessions.match(account: needle) {
        case .found(let session):
            return session
        case .ambiguous(let candidates):
            throw AccountStoreError(
                .ambiguousAccount,
                "'\(needle)' matches \(candidates.count) accounts: \(candidates.accountNames); "
                    + "give more of the handle, or the full DID")
        case .none:
            break
        }

        let unreadable = listing.problems.filter { $0.file.hasPrefix("accounts/") }
        let problemNote =
            unreadable.isEmpty
            ? ""
            : "; \(unreadable.count) account file(s) could not be read: "
                + unreadable.map(\.file).joined(separator: ", ")
        if sessions.isEmpty {
            throw AccountStoreError(
                .noAccounts,
                "no account matches '\(needle)': the store has no accounts yet "
                    + "(log in with: atproto-oauth login <handle>)" + problemNote)
        }
        throw AccountStoreError(
            .accountNotFound,
            "no account matches '\(needle)'; known accounts: \(sessions.accountNames)" + problemNote)
    }
}
