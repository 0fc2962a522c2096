import ATProtoOAuth
import Foundation

/// The client identity a login presents, and where its loopback listener must listen.
struct LoginClient: Sendable {
    /// The hosted client-metadata URL, or `nil` for the localhost development client.
    let hosted: URL?
    let listenPort: UInt16
    let callbackPath: String

    /// The `client_id` for this login. The development client (R13) names the exact redirect
    /// URI (with the port just bound) and the scope in its query.
    func clientID(redirectURI: String, scope: String) -> String {
        hosted?.absoluteString ?? ClientMetadata.developmentClientID(redirectURIs: [redirectURI], scope: scope)
    }

    /// Fetches and validates a hosted native client document (R10–R12) and picks its
    /// `http://127.0.0.1` redirect URI: a registered port is used as is; a port-less one
    /// matches any port (R12), so the listener takes `fallbackPort` (0: any free port).
    static func fetchHosted(
        _ url: URL, transport: any HTTPTransport, scope: String, fallbackPort: UInt16, allowHTTPLoopback: Bool
    ) async throws -> LoginClient {
        let response: HTTPResponse
        do {
            response = try await transport.send(
                HTTPRequest(method: "GET", url: url, headers: [("Accept", "application/json")]))
        } catch {
            throw LoginError(
                .clientMetadata, "cannot fetch client metadata \(url.absoluteString): \(error)", underlying: error)
        }
        let metadata: ClientMetadata
        do {
            metadata = try ClientMetadata.decode(response.body)
            try metadata.checks(
                clientID: url, fetchedResponse: response, requestedScope: scope, allowHTTPLoopback: allowHTTPLoopback
            ).requireAllPass(field: "client_id")
        } catch {
            throw LoginError(.clientMetadata, "\(url.absoluteString): \(error)", underlying: error)
        }
        guard
            let redirect = (metadata.redirectURIs ?? []).compactMap(URL.init(string:)).first(where: {
                $0.scheme == "http" && $0.host(percentEncoded: false) == "127.0.0.1"
            })
        else {
            throw LoginError(
                .clientMetadata,
                "\(url.absoluteString) registers no http://127.0.0.1 redirect URI for a loopback login (R12)")
        }
        let path = redirect.path(percentEncoded: true)
        return LoginClient(
            hosted: url, listenPort: redirect.port.map(UInt16.init(clamping:)) ?? fallbackPort,
            callbackPath: path.isEmpty ? "/" : path)
    }
}

/// The authorization server endpoints a login needs, parsed once from validated metadata.
struct ServerEndpoints: Sendable {
    let par: URL
    let authorization: URL
    let token: URL
    let revocation: URL?

    init(_ metadata: AuthorizationServerMetadata) throws {
        func endpoint(_ value: String?, _ name: String) throws -> URL {
            guard let value, let url = URL(string: value) else {
                throw LoginError(.discovery, step: "profile-checks", "authorization server has no usable \(name) (R9)")
            }
            return url
        }
        par = try endpoint(metadata.pushedAuthorizationRequestEndpoint, "pushed_authorization_request_endpoint")
        authorization = try endpoint(metadata.authorizationEndpoint, "authorization_endpoint")
        token = try endpoint(metadata.tokenEndpoint, "token_endpoint")
        revocation = metadata.revocationEndpoint.flatMap(URL.init(string:))
    }
}
