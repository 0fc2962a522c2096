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
        var needle = query.trimmingCharacters(in: .whitespacesAndNewlines)
        if needle.hasPrefix("@") { needle.removeFirst() }
        guard !needle.isEmpty else {
            throw AccountStoreError(.accountNotFound, "no account given; name one by handle, DID or a unique prefix")
        }

        if let did = try? DID(needle), FileManager.default.fileExists(atPath: accountFileURL(for: did).path) {
            return try load(did)
        }

        let listing = loadAll()
        let sessions = listing.sessions
        if let byDID = sessions.first(where: { $0.did.rawValue == needle }) { return byDID }
        let lowered = needle.lowercased()
        if let byHandle = sessions.first(where: { $0.handle?.rawValue == lowered }) { return byHandle }

        let candidates = sessions.filter {
            ($0.handle?.rawValue.hasPrefix(lowered) ?? false) || $0.did.rawValue.hasPrefix(needle)
        }
        if candidates.count == 1, let only = candidates.first { return only }
        if candidates.count > 1 {
            throw AccountStoreError(
                .ambiguousAccount,
                "'\(needle)' matches \(candidates.count) accounts: \(Self.names(candidates)); "
                    + "give more of the handle, or the full DID")
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
            .accountNotFound, "no account matches '\(needle)'; known accounts: \(Self.names(sessions))" + problemNote)
    }

    /// `alice.test (did:plc:…), did:plc:…` for messages.
    static func names(_ sessions: [Session]) -> String {
        sessions.map { session in
            session.handle.map { "\($0.rawValue) (\(session.did.rawValue))" } ?? session.did.rawValue
        }.joined(separator: ", ")
    }
}
