import ATProtoOAuth
import Foundation

extension OAuthClient {
    /// Every stored session, and every stored entry that could not be read.
    public func list() async throws -> SessionListing {
        try await store.list()
    }

    /// Every stored session's public facts (no token, no key), and every entry that could not
    /// be read: what account lists show. Cheaper than ``list()`` where the store caches them.
    public func summaries() async throws -> SummaryListing {
        try await store.summaries()
    }

    /// The stored session for `did`, refreshed first when its access token has under a minute
    /// left (R24, R26). Throws `.needsLogin` when only a new login can help.
    public func restore(_ did: DID) async throws -> Session {
        try await agent.validSession(did)
    }

    /// Refreshes the session's tokens now, under the store's lock, after confirming that
    /// the session's issuer still serves the account (R21, R24).
    public func refresh(_ did: DID) async throws -> Session {
        try await agent.refresh(did, replacing: nil)
    }

    /// Refreshes several sessions, at most ``OAuthClientConfiguration/refreshConcurrency`` at
    /// a time, and reports each outcome in the order given. `nil` means every stored session:
    /// one that needs a login fails at once with `.needsLogin`, without a request, so it is
    /// reported rather than skipped.
    ///
    /// Every refresh here is judged against the tokens the store held when this call began:
    /// a session that another process (another machine, with a shared store) refreshed since
    /// is reported with those newer tokens, and its refresh token is not spent again. So
    /// several processes running `refreshAll` over the same accounts refresh each one once
    /// between them, not once each (R24); each starts them in its own random order, so they
    /// spread over the accounts rather than queue on the same locks.
    /// `progress` hears each outcome as soon as it is known.
    public func refreshAll(
        _ dids: [DID]? = nil, progress: @escaping @Sendable (DID, Result<Session, any Error>) -> Void = { _, _ in }
    ) async throws -> [(did: DID, result: Result<Session, any Error>)] {
        var seen: [DID: String] = [:]
        let targets: [DID]
        if let dids {
            targets = dids
            // A session that cannot be read here gets a forced refresh, which reports why.
            for did in dids { seen[did] = try? await store.load(did).accessToken }
        } else {
            let sessions = try await store.list().sessions
            targets = sessions.map(\.did)
            for session in sessions { seen[session.did] = session.accessToken }
        }
        return await forEachBounded(targets, shuffled: true, progress: progress) { [seen] did in
            try await self.agent.refresh(did, replacing: seen[did])
        }
    }

    /// Runs `operation` for each DID, at most ``OAuthClientConfiguration/refreshConcurrency``
    /// at once (the one bound for every many-accounts operation), telling `progress` each
    /// outcome as it comes and returning them all in the order given.
    ///
    /// `shuffled`: start them in random order. Several processes working through the same
    /// accounts (a fleet sharing a store) then spread over different accounts instead of
    /// queueing on the same locks in the same order.
    func forEachBounded<Value: Sendable>(
        _ targets: [DID], shuffled: Bool = false,
        progress: @escaping @Sendable (DID, Result<Value, any Error>) -> Void,
        _ operation: @escaping @Sendable (DID) async throws -> Value
    ) async -> [(did: DID, result: Result<Value, any Error>)] {
        let width = configuration.refreshConcurrency
        let order = shuffled ? targets.indices.shuffled() : Array(targets.indices)
        return await withTaskGroup(of: (Int, Result<Value, any Error>).self) { group in
            var results = [Result<Value, any Error>?](repeating: nil, count: targets.count)
            var next = 0
            func launch() {
                guard next < order.count else { return }
                let index = order[next]
                next += 1
                group.addTask {
                    let result: Result<Value, any Error>
                    do {
                        result = .success(try await operation(targets[index]))
                    } catch {
                        result = .failure(error)
                    }
                    progress(targets[index], result)
                    return (index, result)
                }
            }
            for _ in 0..<min(width, targets.count) { launch() }
            for await (index, result) in group {
                results[index] = result
                launch()
            }
            return zip(targets, results).compactMap { did, result in result.map { (did, $0) } }
        }
    }

    /// Revokes the session's grant at its authorization server (R27, RFC 7009) with DPoP,
    /// keeping it stored.
    public func revoke(_ did: DID) async throws {
        try await agent.revoke(did)
    }

    /// Logs an account out: revokes its grant (R27), then deletes it under its lock.
    ///
    /// A revocation that fails does not keep the session (it ends by itself within 14 days,
    /// R26) unless `keepOnRevocationFailure` is set; either way the failure is returned, so
    /// the caller can say so.
    public func logout(_ did: DID, keepOnRevocationFailure: Bool = false) async throws -> LogoutOutcome {
        var revocationError: (any Error)?
        do {
            try await agent.revoke(did)
        } catch let error as ATProtoOAuthError where error.code == .accountMoving || error.code == .accountNotFound {
            throw error  // not this store's to end (an interrupted move), or nothing to log out
        } catch {
            revocationError = error
        }
        let delete = revocationError == nil || !keepOnRevocationFailure
        if delete {
            try await store.withLock(did, timeout: configuration.lockTimeout) { try await store.delete(did) }
            broadcaster.publish(.deleted(did))
        }
        return LogoutOutcome(did: did, revocationError: revocationError, deleted: delete)
    }

    /// The store's default account, for stores that keep one (`DefaultAccountStore`).
    public func defaultAccount() async -> DID? {
        await (store as? any DefaultAccountStore)?.defaultAccount()
    }

    /// Makes `did` the store's default account; throws for stores without one.
    public func setDefault(_ did: DID) async throws {
        guard let store = store as? any DefaultAccountStore else {
            throw ATProtoOAuthError(.invalidSession, field: "store", "this session store keeps no default account")
        }
        try await store.setDefault(did)
    }
}

/// What ``OAuthClient/logout(_:keepOnRevocationFailure:)`` did.
public struct LogoutOutcome: Sendable {
    public var did: DID
    /// Why the grant could not be revoked, when it could not (R27).
    public var revocationError: (any Error)?
    /// Whether the session was deleted from the store.
    public var deleted: Bool

    /// Whether the grant was revoked at the authorization server.
    public var revoked: Bool { revocationError == nil }
}
