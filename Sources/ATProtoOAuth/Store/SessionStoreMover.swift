import Foundation

/// Moves sessions from one store to another so that a session is never live in both: two
/// copies of a rotating, single-use refresh token get the whole session revoked the first time
/// both are used (R24).
///
/// Per account, holding the source's lock and then the destination's (so no refresh runs in
/// either meanwhile):
/// 1. the source copy is marked ``Session/movingTo`` — from here on it is never used, refreshed
///    or revoked, whatever happens to this process;
/// 2. the session is written to the destination (unless it already holds that exact session,
///    or a newer one: an earlier move that was interrupted, used there since), read back and
///    compared;
/// 3. the source copy is deleted.
///
/// A failure in step 2 clears the mark again when the destination is seen not to hold the
/// session: the account stays where it was, usable. A process
/// killed part-way (SIGKILL, power loss) leaves at most a marked copy in the source, which
/// refuses to be used and says how to finish; running the move again finishes it from any
/// point without losing or duplicating the session.
public struct SessionStoreMover: Sendable {
    public let source: any SessionStore
    public let destination: any SessionStore
    /// How long to wait for each store's per-account lock.
    public let lockTimeout: Duration
    /// How the destination is named in the mark (`moving_to`): never a password or a key.
    public let destinationName: String

    public init(source: any SessionStore, destination: any SessionStore, destinationName: String, lockTimeout: Duration)
    {
        self.source = source
        self.destination = destination
        self.destinationName = destinationName
        self.lockTimeout = lockTimeout
    }

    /// Moves one account; see the type's documentation for the steps.
    public func move(_ did: DID) async throws {
        let source = self.source
        let destination = self.destination
        let name = destinationName
        try await source.withLock(did, timeout: lockTimeout) {
            try await destination.withLock(did, timeout: lockTimeout) {
                var session = try await source.load(did)
                let markedBefore = session.movingTo != nil
                session.movingTo = nil
                if !markedBefore {
                    var marked = session
                    marked.movingTo = name
                    try await source.save(marked)
                }
                do {
                    try await Self.write(session, to: destination)
                } catch {
                    // The source copy is the live one again only when the destination is known not
                    // to hold the session (a write that failed may still have landed).
                    if !markedBefore, let listing = try? await destination.list(),
                        !listing.sessions.contains(where: { $0.did == did }), listing.problems.isEmpty
                    {
                        try? await source.save(session)
                    }
                    throw error
                }
                try await source.delete(did)
            }
        }
    }

    /// Moves every account of `dids` (default: every account in the source) and reports each
    /// outcome in order. The source's default account becomes the destination's default when
    /// the destination has none.
    public func moveAll(_ dids: [DID]? = nil) async throws -> [(did: DID, result: Result<Void, any Error>)] {
        var targets = dids ?? []
        if dids == nil { targets = try await source.list().sessions.map(\.did) }
        let sourceDefault = await (source as? any DefaultAccountStore)?.defaultAccount()
        var results: [(did: DID, result: Result<Void, any Error>)] = []
        for did in targets {
            do {
                try await move(did)
                if did == sourceDefault, let target = destination as? any DefaultAccountStore,
                    await target.defaultAccount() == nil
                {
                    try? await target.setDefault(did)
                }
                results.append((did, .success(())))
            } catch {
                results.append((did, .failure(error)))
            }
        }
        return results
    }

    /// Writes `session` to `destination` and reads it back, unless the destination already
    /// holds it — or a newer token set for it, which an interrupted earlier move wrote and which
    /// has been used there since, and so is the live one.
    private static func write(_ session: Session, to destination: any SessionStore) async throws {
        let encoded = try session.encoded()
        if let existing = try? await destination.load(session.did) {
            let existingEncoded = try existing.encoded()
            if existingEncoded == encoded || isNewer(existing, than: session) { return }
        }
        try await destination.save(session)
        let readBack = try await destination.load(session.did)
        guard try readBack.encoded() == encoded else {
            throw ATProtoOAuthError(
                .moveNotVerified, field: session.did.rawValue,
                "the session read back from the destination differs from the one written; it stays in the "
                    + "current store")
        }
    }

    /// Whether `a` holds a later token set than `b` (refreshed later, or issued later).
    static func isNewer(_ a: Session, than b: Session) -> Bool {
        (a.refreshedAt ?? a.createdAt) > (b.refreshedAt ?? b.createdAt)
    }
}
