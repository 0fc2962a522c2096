import Foundation

extension ClientMetadata {
    /// The redirect URIs a development client id implies when it names none (R13).
    public static let defaultDevelopmentRedirectURIs = ["http://127.0.0.1/", "http://[::1]/"]
    /// The scope a development client id implies when it names none (R13).
    public static let defaultDevelopmentScope = "atproto"

    /// R13: the development (`http://localhost`) client id for these redirect URIs and scope.
    ///
    /// Shape: `http://localhost?redirect_uri=<enc>&redirect_uri=<enc>&scope=<enc>`. Each value
    /// is percent-encoded with `FormEncoding.encodeComponent` (RFC 3986 unreserved characters
    /// only; identical to JavaScript's `encodeURIComponent` for these values, so spaces in the
    /// scope become `%20`, never `+`). As in the TypeScript client, a parameter equal to its
    /// default is left out: the default redirect URIs omit every `redirect_uri`, scope
    /// `atproto` omits `scope`, and both together give the bare `http://localhost`.
    public static func developmentClientID(redirectURIs: [String], scope: String) -> String {
        var items: [(String, String)] = []
        if redirectURIs != defaultDevelopmentRedirectURIs {
            items += redirectURIs.map { ("redirect_uri", $0) }
        }
        if scope != defaultDevelopmentScope {
            items.append(("scope", scope))
        }
        return items.isEmpty ? "http://localhost" : "http://localhost?" + FormEncoding.encode(items)
    }

    /// R13: the metadata implied by a development client id: native, no client
    /// authentication, both grant types, DPoP-bound tokens.
    public static func localhostDevelopment(redirectURIs: [String], scope: String) -> ClientMetadata {
        implied(
            clientID: developmentClientID(redirectURIs: redirectURIs, scope: scope),
            redirectURIs: redirectURIs.isEmpty ? defaultDevelopmentRedirectURIs : redirectURIs, scope: scope)
    }

    /// R13, server side: parses a development client id into its implied metadata. Only
    /// exactly `http://localhost` (no port, no path, no fragment, no credentials) with the
    /// query parameters `redirect_uri` (repeatable, each `http://127.0.0.1…` or
    /// `http://[::1]…`) and `scope` (at most once, must include `atproto`) is accepted.
    /// The returned `clientID` is the string given, unchanged.
    public static func parseDevelopmentClientID(_ clientID: String) throws -> ClientMetadata {
        func fail(_ reason: String) -> ATProtoOAuthError {
            ATProtoOAuthError(.invalidClientMetadata, rule: "R13", field: "client_id", reason)
        }
        let prefix = "http://localhost"
        guard clientID.hasPrefix(prefix) else { throw fail("a development client id starts with http://localhost") }
        let rest = clientID.dropFirst(prefix.count)
        guard rest.isEmpty || rest.hasPrefix("?") else {
            throw fail("a development client id is exactly http://localhost (no port, path or fragment)")
        }
        let query = String(rest.dropFirst())
        guard !query.contains("#") else { throw fail("a development client id has no fragment") }

        var redirectURIs: [String] = []
        var scope: String?
        for (name, value) in FormEncoding.decode(query) {
            switch name {
            case "redirect_uri":
                guard let components = URLComponents(string: value), components.scheme == "http",
                    let host = components.host, isLoopbackIP(host), components.fragment == nil,
                    components.user == nil, components.password == nil
                else { throw fail("redirect_uri \(value) must be http://127.0.0.1/… or http://[::1]/…") }
                redirectURIs.append(value)
            case "scope":
                guard scope == nil else { throw fail("scope may appear only once") }
                guard value.split(separator: " ").contains("atproto") else {
                    throw fail("scope \(value) must include atproto")
                }
                scope = value
            default:
                throw fail("unexpected parameter \(name); only redirect_uri and scope are allowed")
            }
        }
        return implied(
            clientID: clientID, redirectURIs: redirectURIs.isEmpty ? defaultDevelopmentRedirectURIs : redirectURIs,
            scope: scope ?? defaultDevelopmentScope)
    }

    private static func implied(clientID: String, redirectURIs: [String], scope: String) -> ClientMetadata {
        ClientMetadata(
            clientID: clientID, applicationType: "native", grantTypes: ["authorization_code", "refresh_token"],
            scope: scope, responseTypes: ["code"], redirectURIs: redirectURIs, dpopBoundAccessTokens: true,
            tokenEndpointAuthMethod: "none", clientName: "Loopback client")
    }
}
