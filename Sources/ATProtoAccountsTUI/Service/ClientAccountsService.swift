import ATProtoDiscovery
import ATProtoOAuth
import ATProtoOAuthClient
import ATProtoOAuthLogin
import Foundation

/// The TUI's window on the real world: an `OAuthClient`, which decides everything (what a
/// login saves, how refreshes are bounded, what logout revokes). This type only translates
/// its results into the TUI's summaries, progress events and error banners.
public struct ClientAccountsService: AccountsService {
    public let client: OAuthClient
    public let loginOptions: LoopbackLoginOptions
    public let suggestedHandles: [String]
    /// Whether an error is the network's (for the hint); the CLI passes its classifier.
    private let isNetworkFailure: @Sendable (any Error) -> Bool

    public init(
        client: OAuthClient, loginOptions: LoopbackLoginOptions, suggestedHandles: [String] = [],
        isNetworkFailure: @escaping @Sendable (any Error) -> Bool = { _ in false }
    ) {
        self.client = client
        self.loginOptions = loginOptions
        self.suggestedHandles = suggestedHandles
        self.isNetworkFailure = isNetworkFailure
    }

    public func loadAccounts() async -> (accounts: [AccountSummary], problems: [StoreProblemSummary]) {
        do {
            let listing = try await client.summaries()
            let defaultDID = await client.defaultAccount()
            return (
                listing.summaries.map { AccountSummary($0, isDefault: $0.did == defaultDID) },
                listing.problems.map { StoreProblemSummary(file: $0.location, reason: $0.reason) }
            )
        } catch {
            return ([], [StoreProblemSummary(file: "store", reason: "\(error)")])
        }
    }

    /// The client's change feed (the file store watches its directory with inotify); `nil`
    /// for a store without one.
    public func storeChanges() -> AsyncStream<Void>? {
        client.storeChanges()
    }

    public func discover(_ input: String) -> AsyncStream<DiscoveryProgress> {
        stream { continuation in
            do {
                let result = try await client.discovery.discover(try client.input(input)) {
                    continuation.yield(.step($0))
                }
                continuation.yield(.checks(result.checks))
                let who = [result.handle?.rawValue, result.did?.rawValue].compactMap { $0 }.joined(separator: " → ")
                let summary =
                    "\(who.isEmpty ? result.pds.absoluteString : who) · issuer \(result.issuer.absoluteString)"
                continuation.yield(.finished(.success(summary)))
            } catch {
                continuation.yield(.finished(.failure(serviceError(error))))
            }
        }
    }

    public func login(_ input: String) -> AsyncStream<LoginProgress> {
        stream { continuation in
            do {
                let session = try await client.login(input, options: loginOptions) { event in
                    switch event {
                    case .step(let step): continuation.yield(.step(step))
                    case .listening(let url): continuation.yield(.listening(address: url.absoluteString))
                    case .authorizationURL(let url): continuation.yield(.authorizationURL(url))
                    }
                }
                let isDefault = await client.defaultAccount() == session.did
                continuation.yield(.finished(.success(AccountSummary(session, isDefault: isDefault))))
            } catch {
                continuation.yield(.finished(.failure(serviceError(error))))
            }
        }
    }

    public func refresh(_ did: String) async -> Result<AccountSummary, TUIServiceError> {
        do {
            let did = try DID(did)
            let session = try await client.refresh(did)
            return .success(AccountSummary(session, isDefault: await client.defaultAccount() == did))
        } catch {
            return .failure(serviceError(error))
        }
    }

    public func refreshAll(
        _ dids: [String], onResult: @escaping @Sendable (String, Result<AccountSummary, TUIServiceError>) -> Void
    ) async {
        var parsed: [DID] = []
        for text in dids {
            do {
                parsed.append(try DID(text))
            } catch {
                onResult(text, .failure(serviceError(error)))
            }
        }
        let defaultDID = await client.defaultAccount()
        do {
            _ = try await client.refreshAll(parsed) { did, result in
                onResult(
                    did.rawValue,
                    result.map { AccountSummary($0, isDefault: $0.did == defaultDID) }.mapError(serviceError))
            }
        } catch {
            for did in parsed { onResult(did.rawValue, .failure(serviceError(error))) }
        }
    }

    public func logout(_ did: String) async -> Result<Void, TUIServiceError> {
        do {
            let outcome = try await client.logout(try DID(did))
            if let error = outcome.revocationError {
                return .failure(
                    TUIServiceError(
                        "deleted locally, but revocation failed: \(error)",
                        hint: "the server session ends by itself within 14 days (R26)"))
            }
            return .success(())
        } catch {
            return .failure(serviceError(error))
        }
    }

    public func setDefault(_ did: String) async -> Result<Void, TUIServiceError> {
        do {
            try await client.setDefault(try DID(did))
            return .success(())
        } catch {
            return .failure(serviceError(error))
        }
    }

    public func openInBrowser(_ url: URL) async {
        _ = await loginOptions.openBrowser(url)
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

    /// The banner for a failure: what went wrong, and the key that helps.
    func serviceError(_ error: any Error) -> TUIServiceError {
        let hint: String
        switch error {
        case is DiscoveryError:
            hint = "check the handle, DID or server URL (press d to inspect discovery)"
        case let error as LoginError where error.code == .denied:
            hint = "the request was denied in the browser; press L to try again"
        case let error as LoginError where error.code == .timeout:
            hint = "the browser never came back; press L to try again"
        case let error as LoginError where error.rootCause.map(isNetworkFailure) == true:
            hint = "the network or the server did not answer; check it and press L to try again"
        case is LoginError:
            hint = "press L to try again; d shows what discovery finds"
        case let error as ATProtoOAuthError where error.code == .needsLogin || error.code == .issuerChanged:
            hint = "press L to log this account in again"
        case let error where isNetworkFailure(error):
            hint = "check the network and press r to retry"
        default:
            hint = "check the message above; r retries, L logs in again"
        }
        return TUIServiceError("\(error)", hint: hint)
    }
}
