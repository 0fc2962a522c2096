import ATProtoOAuth

/// The file store is the default ``SessionStore``: one 0600 file per DID, atomic writes,
/// `flock` per DID across processes, and a default account in `config.json`.
extension AccountStore: DefaultAccountStore {
    /// Every account file, and every file that could not be read (by name, with the reason).
    public func list() -> SessionListing {
        let listing = loadAll()
        return SessionListing(sessions: listing.sessions, problems: listing.problems.map(Self.storeProblem))
    }

    /// Every account's public facts, mostly from the summary cache (`summaries`).
    public func summaries() -> SummaryListing {
        summaryListing()
    }
}
