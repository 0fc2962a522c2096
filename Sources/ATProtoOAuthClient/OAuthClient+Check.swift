import ATProtoOAuth
import Foundation

/// What asking an account's PDS about its session found (``OAuthClient/check(_:)``).
public enum SessionCheck: Sendable {
    /// The PDS accepted the session: `com.atproto.server.getSession` answered 2xx with this
    /// object (`did`, `handle`, …).
    case ok(JSONValue)
    /// The session is refused — by the PDS even after the client's own refresh, or by the
    /// authorization server when refreshing — or was already marked so. It is stored as
    /// needing a login; `reason` carries the server's answer.
    case needsLogin(reason: String)
    /// The question could not be answered: no connection, a server error, an answer that is
    /// not about the session. Nothing is stored.
    case failed(any Error)

    /// Whether a person should look at the account.
    public var needsAttention: Bool {
        if case .ok = self { return false }
        return true
    }
}

extension OAuthClient {
    /// Asks each account's PDS whether its session still works (`com.atproto.server.getSession`,
    /// at most ``OAuthClientConfiguration/refreshConcurrency`` at a time), with the usual
    /// policies: a token under a minute from expiry is refreshed first, an `invalid_token`
    /// answer is refreshed once and retried (R25). A session the servers refuse after that is
    /// marked as needing a login — saved, and announced as `.needsLogin` — and reported with
    /// the server's answer. Results come in the order given; `nil` means every stored session.
    public func check(_ dids: [DID]? = nil) async throws -> [(did: DID, check: SessionCheck)] {
        let targets: [DID]
        if let dids {
            targets = dids
        } else {
            targets = try await store.list().sessions.map(\.did)
        }
        let width = configuration.refreshConcurrency
        return await withTaskGroup(of: (Int, SessionCheck).self) { group in
            var results = [SessionCheck?](repeating: nil, count: targets.count)
            var next = 0
            func launch() {
                guard next < targets.count else { return }
                let index = next
                next += 1
                group.addTask { (index, await self.checkOne(targets[index])) }
            }
            for _ in 0..<min(width, targets.count) { launch() }
            for await (index, check) in group {
                results[index] = check
                launch()
            }
            return zip(targets, results).compactMap { did, check in check.map { (did, $0) } }
        }
    }

    private func checkOne(_ did: DID) async -> SessionCheck {
        let response: HTTPResponse
        do {
            response = try await xrpc(did, "com.atproto.server.getSession")
        } catch let error as ATProtoOAuthError where error.code == .needsLogin || error.code == .issuerChanged {
            return .needsLogin(reason: error.reason)
        } catch {
            return .failed(error)
        }
        if (200..<300).contains(response.status) {
            return .ok((try? JSONValue.parse(response.body, source: "getSession")) ?? .object([:]))
        }
        let answer = XRPCErrorBody.parse(response)?.summary ?? "HTTP \(response.status)"
        // 401 after the agent's own refresh and retry: the PDS refuses the session itself.
        guard response.status == 401 else {
            return .failed(
                ATProtoOAuthError(
                    .transport, field: "com.atproto.server.getSession",
                    "the PDS answered HTTP \(response.status): \(answer)"))
        }
        let reason = "the PDS refused the session (HTTP 401 \(answer))"
        do {
            try await markNeedsLogin(did, reason: reason)
        } catch {
            return .failed(error)
        }
        return .needsLogin(reason: reason)
    }

    /// Marks the stored session as needing a login, under its lock, and says so.
    private func markNeedsLogin(_ did: DID, reason: String) async throws {
        try await store.withLock(did, timeout: configuration.lockTimeout) {
            var session = try await store.load(did)
            session.needsLogin = true
            try await store.save(session)
        }
        broadcaster.publish(.needsLogin(did, reason: reason))
    }
}
