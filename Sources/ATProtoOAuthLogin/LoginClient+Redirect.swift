import ATProtoOAuth
import Foundation

extension LoginClient {
    /// R12/R13: the `client_id` to present with `redirectURI`, once the client identity is
    /// known to allow that redirect — checked before any request leaves, since the
    /// authorization server would refuse the PAR anyway, with a less helpful message.
    ///
    /// - The development client (R13) allows `http://127.0.0.1[:port]/path` and
    ///   `http://[::1][:port]/path` (never `localhost`); its `client_id` names that exact URI.
    /// - A hosted client (R10–R12) allows what its document registers in `redirect_uris`; a
    ///   registered loopback URI without port matches any port (R12). A document of
    ///   `application_type` `web` is accepted for its https redirect URIs only.
    static func clientID(
        forRedirectURI redirectURI: String, client: LoginConfiguration.Client, transport: any HTTPTransport,
        scope: String, allowHTTPLoopback: Bool
    ) async throws -> String {
        switch client {
        case .development:
            guard isLoopbackRedirect(redirectURI) else {
                throw LoginError(
                    .clientMetadata,
                    "the development client can only use a redirect URI of the form http://127.0.0.1[:port]/path or "
                        + "http://[::1][:port]/path, not \(redirectURI) (R12, R13)")
            }
            return ClientMetadata.developmentClientID(redirectURIs: [redirectURI], scope: scope)
        case .hosted(let url):
            let metadata = try await fetchMetadata(
                url, transport: transport, scope: scope, allowHTTPLoopback: allowHTTPLoopback)
            guard metadata.allowsRedirectURI(redirectURI) else {
                throw LoginError(
                    .clientMetadata, "\(url.absoluteString) does not register the redirect URI \(redirectURI) (R12)")
            }
            if metadata.applicationType == "web", URLComponents(string: redirectURI)?.scheme?.lowercased() != "https" {
                throw LoginError(
                    .clientMetadata,
                    "\(url.absoluteString) is a web client; its redirect URI must use https, not \(redirectURI) (R12)")
            }
            return url.absoluteString
        }
    }

    /// Fetches a hosted client document and applies R10–R12, except that a `web` document
    /// passes `application_type` (its redirect URIs are then held to https by the caller).
    private static func fetchMetadata(
        _ url: URL, transport: any HTTPTransport, scope: String, allowHTTPLoopback: Bool
    ) async throws -> ClientMetadata {
        let response: HTTPResponse
        do {
            response = try await transport.send(
                HTTPRequest(method: "GET", url: url, headers: [("Accept", "application/json")]))
        } catch {
            throw LoginError(
                .clientMetadata, "cannot fetch client metadata \(url.absoluteString): \(error)", underlying: error)
        }
        do {
            let metadata = try ClientMetadata.decode(response.body)
            try metadata.checks(
                clientID: url, fetchedResponse: response, requestedScope: scope, allowHTTPLoopback: allowHTTPLoopback
            )
            .filter { !($0.name == "application_type" && metadata.applicationType == "web") }
            .requireAllPass(field: "client_id")
            return metadata
        } catch {
            throw LoginError(.clientMetadata, "\(url.absoluteString): \(error)", underlying: error)
        }
    }

    /// R12: `http://127.0.0.1…` or `http://[::1]…`, without credentials or fragment.
    static func isLoopbackRedirect(_ uri: String) -> Bool {
        guard let components = URLComponents(string: uri), components.scheme?.lowercased() == "http",
            let host = components.host, ["127.0.0.1", "[::1]", "::1"].contains(host),
            components.user == nil, components.password == nil, components.fragment == nil,
            components.path.isEmpty || components.path.hasPrefix("/")
        else { return false }
        return true
    }
}
