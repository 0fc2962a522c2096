import Foundation

/// A ``SessionStore`` in this process's memory: for tests, for programs that log in for one
/// run, and as the reference for what a store must do.
///
/// Its lock excludes the tasks of this process only — which is all it can mean for memory
/// that no other process sees. Sessions are lost when the process ends.
///
/// ```swift
/// let store = InMemorySessionStore()
/// let client = OAuthClient(configuration: .init(), store: store)
/// ```
public actor InMemorySessionStore: SessionStore {
    private var sessions: [DID: Session]
    private var holders: Set<DID> = []
    private var waiters: [DID: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)]] = [:]
    private var nextWaiter: UInt64 = 0

    public init(_ sessions: [Session] = []) {
        self.sessions = Dictionary(sessions.map { ($0.did, $0) }, uniquingKeysWith: { _, last in last })
    }

    public func load(_ did: DID) throws -> Session {
        guard let session = sessions[did] else {
            throw ATProtoOAuthError(.accountNotFound, field: did.rawValue, "no session is stored for \(did)")
        }
        return session
    }

    public func save(_ session: Session) {
        sessions[session.did] = session
    }

    public func delete(_ did: DID) throws {
        guard sessions.removeValue(forKey: did) != nil else {
            throw ATProtoOAuthError(.accountNotFound, field: did.rawValue, "no session is stored for \(did)")
        }
    }

    /// Sessions sorted by handle (accounts without one by DID), then DID, like the file store.
    public func list() -> SessionListing {
        let sorted = sessions.values.sorted {
            ($0.handle?.rawValue ?? $0.did.rawValue, $0.did.rawValue) < (
                $1.handle?.rawValue ?? $1.did.rawValue, $1.did.rawValue
            )
        }
        return SessionListing(sessions: sorted, problems: [])
    }

    public nonisolated func withLock<T: Sendable>(
        _ did: DID, timeout: Duration, _ body: @Sendable () async throws -> T
    ) async throws -> T {
        try await acquire(did, timeout: timeout)
        do {
            let value = try await body()
            await release(did)
            return value
        } catch {
            await release(did)
            throw error
        }
    }

    /// Takes the lock at once when it is free; otherwise queues, first come first served,
    /// until a holder hands it over or `timeout` passes.
    private func acquire(_ did: DID, timeout: Duration) async throws {
        guard holders.contains(did) else {
            holders.insert(did)
            return
        }
        nextWaiter += 1
        let id = nextWaiter
        let expiry = Task { [weak self] in
            try await Task.sleep(for: timeout)
            await self?.expire(id, did: did, timeout: timeout)
        }
        defer { expiry.cancel() }
        try await withCheckedThrowingContinuation { continuation in
            waiters[did, default: []].append((id, continuation))
        }
    }

    private func expire(_ id: UInt64, did: DID, timeout: Duration) {
        guard let index = waiters[did]?.firstIndex(where: { $0.id == id }) else { return }
        let waiter = waiters[did]?.remove(at: index)
        waiter?.continuation.resume(
            throwing: ATProtoOAuthError(
                .lockTimeout, rule: "R24", field: did.rawValue,
                "the session of \(did) stayed locked for \(timeout.timeInterval) s"))
    }

    /// Hands the lock to the next waiter, or frees it.
    private func release(_ did: DID) {
        if var queue = waiters[did], !queue.isEmpty {
            let next = queue.removeFirst()
            waiters[did] = queue.isEmpty ? nil : queue
            next.continuation.resume()
        } else {
            holders.remove(did)
        }
    }
}
