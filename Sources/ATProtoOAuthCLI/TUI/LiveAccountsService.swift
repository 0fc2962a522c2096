import ATProtoAccountStore
import ATProtoAccountsTUI
import ATProtoDiscovery
import ATProtoOAuth
import ATProtoOAuthLogin
import Foundation

/// The TUI's window on the real world: the account store, discovery, login and the session
/// agent of one `CommandRuntime`. Every failure comes back as a message and what to do next.
struct LiveAccountsService: AccountsService {
    let runtime: CommandRuntime
    let loginConfiguration: LoginConfiguration
    let suggestedHandles: [String]

    func loadAccounts() async -> (accounts: [AccountSummary], problems: [StoreProblemSummary]) {
        let listing = runtime.store.loadAll()
        let defaultDID = runtime.store.defaultAccount()
        return (
            Self.summaries(listing.sessions, defaultDID: defaultDID),
            listing.problems.map { StoreProblemSummary(file: $0.file, reason: $0.reason) }
        )
    }

    /// The rows of the accounts table, in the listing's order. A summary hashes the DPoP key
    /// (its thumbprint), ~30 µs an account, so a large store is summarised on every core.
    static func summaries(_ sessions: [Session], defaultDID: DID?) -> [AccountSummary] {
        let workers = sessions.count < 64 ? 1 : ProcessInfo.processInfo.activeProcessorCount
        guard workers > 1 else { return sessions.map { summary($0, isDefault: $0.did == defaultDID) } }
        let chunk = (sessions.count + workers - 1) / workers
        let parts = Parts(count: workers)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let range = min(worker * chunk, sessions.count)..<min((worker + 1) * chunk, sessions.count)
            parts.set(worker, sessions[range].map { summary($0, isDefault: $0.did == defaultDID) })
        }
        return parts.joined()
    }

    func discover(_ input: String) -> AsyncStream<DiscoveryProgress> {
        stream { continuation in
            do {
                let loginInput = try LoginInput(input, allowHTTPLoopback: runtime.options.allowHTTPLoopback)
                let result = try await runtime.discovery.discover(loginInput) { continuation.yield(.step($0)) }
                continuation.yield(.checks(result.checks))
                let who = [result.handle?.rawValue, result.did?.rawValue].compactMap { $0 }.joined(separator: " → ")
                continuation.yield(
                    .finished(
                        .success(
                            "\(who.isEmpty ? result.pds.absoluteString : who) · issuer \(result.issuer.absoluteString)")
                    ))
            } catch {
                continuation.yield(.finished(.failure(Self.serviceError(error))))
            }
        }
    }

    func login(_ input: String, reuse: AccountSummary?) -> AsyncStream<LoginProgress> {
        stream { continuation in
            do {
                let loginInput = try LoginInput(
                    reuse?.handle ?? reuse?.did ?? input, allowHTTPLoopback: runtime.options.allowHTTPLoopback)
                let flow = LoginFlow(
                    transport: runtime.transport, discovery: runtime.discovery, configuration: loginConfiguration)
                let store = runtime.store
                let session = try await flow.run(
                    loginInput,
                    save: { session in
                        let previous = try await store.replace(session, timeout: .seconds(30))
                        try store.setDefault(session.did)
                        return previous
                    },
                    progress: { event in
                        switch event {
                        case .step(let step): continuation.yield(.step(step))
                        case .listening(let url): continuation.yield(.listening(address: url.absoluteString))
                        case .authorizationURL(let url): continuation.yield(.authorizationURL(url))
                        }
                    })
                continuation.yield(.finished(.success(Self.summary(session, isDefault: true))))
            } catch {
                continuation.yield(.finished(.failure(Self.serviceError(error))))
            }
        }
    }

    func refresh(_ did: String) async -> Result<AccountSummary, TUIServiceError> {
        do {
            let did = try DID(did)
            let session = try await runtime.agent.refresh(did, replacing: nil)
            return .success(Self.summary(session, isDefault: runtime.store.defaultAccount() == did))
        } catch {
            return .failure(Self.serviceError(error))
        }
    }

    func logout(_ did: String) async -> Result<Void, TUIServiceError> {
        do {
            let did = try DID(did)
            var revocationError: (any Error)?
            do { try await runtime.agent.revoke(did) } catch { revocationError = error }
            try await runtime.store.withLock(did, timeout: .seconds(30)) { try runtime.store.delete(did) }
            if let revocationError {
                return .failure(
                    TUIServiceError(
                        "deleted locally, but revocation failed: \(ErrorReporting.message(for: revocationError))",
                        hint: "the server session ends by itself within 14 days (R26)"))
            }
            return .success(())
        } catch {
            return .failure(Self.serviceError(error))
        }
    }

    func setDefault(_ did: String) async -> Result<Void, TUIServiceError> {
        do {
            try runtime.store.setDefault(try DID(did))
            return .success(())
        } catch {
            return .failure(Self.serviceError(error))
        }
    }

    func openInBrowser(_ url: URL) async {
        _ = await loginConfiguration.openBrowser(url)
    }

    /// A stream fed by one task; cancelling the consumer cancels the task (closing a login's
    /// listener), and the stream always finishes.
    private func stream<Element: Sendable>(
        _ body: @escaping @Sendable (AsyncStream<Element>.Continuation) async -> Void
    ) -> AsyncStream<Element> {
        AsyncStream { continuation in
            let task = Task {
                await body(continuation)
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    static func summary(_ session: Session, isDefault: Bool) -> AccountSummary {
        AccountSummary(
            did: session.did.rawValue, handle: session.handle?.rawValue,
            pdsHost: session.pds.originString ?? session.pds.absoluteString, issuer: session.issuer,
            scope: session.scope.description, expiresAt: session.expiresAt, createdAt: session.createdAt,
            refreshedAt: session.refreshedAt, dpopThumbprint: (try? session.dpopKey.publicKey.thumbprint()) ?? "?",
            isDefault: isDefault, needsLogin: session.health(now: Date()) == .needsLogin,
            hasRefreshToken: session.refreshToken != nil)
    }

    static func serviceError(_ error: any Error) -> TUIServiceError {
        let message = ErrorReporting.message(for: error)
        let hint: String
        switch error {
        case is DiscoveryError:
            hint = "check the handle, DID or server URL (press d to inspect discovery)"
        case let error as LoginError where error.code == .denied:
            hint = "the request was denied in the browser; press L to try again"
        case let error as LoginError where error.code == .timeout:
            hint = "the browser never came back; press L to try again"
        case let error as LoginError where error.rootCause.map(ErrorReporting.isNetworkFailure) == true:
            hint = "the network or the server did not answer; check it and press L to try again"
        case is LoginError:
            hint = "press L to try again; d shows what discovery finds"
        case let error as ATProtoOAuthError where error.code == .needsLogin || error.code == .issuerChanged:
            hint = "press L to log this account in again"
        case is AccountStoreError:
            hint = "fix the store file named above, then restart"
        default:
            hint = "check the network and press r to retry"
        }
        return TUIServiceError(message, hint: hint)
    }
}

/// The summaries each worker of `LiveAccountsService.summaries` made, by worker.
private final class Parts: @unchecked Sendable {
    private let lock = NSLock()
    private var parts: [[AccountSummary]]  // guarded by lock

    init(count: Int) {
        parts = Array(repeating: [], count: count)
    }

    func set(_ index: Int, _ part: [AccountSummary]) {
        lock.withLock { parts[index] = part }
    }

    func joined() -> [AccountSummary] {
        lock.withLock { parts.flatMap { $0 } }
    }
}
