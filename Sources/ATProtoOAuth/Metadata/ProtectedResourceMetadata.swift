import Foundation

/// OAuth 2.0 protected-resource metadata (RFC 9728), served by a PDS or entryway at
/// `/.well-known/oauth-protected-resource`. ATProto uses it for one thing: finding the one
/// authorization server of a PDS (R8).
public struct ProtectedResourceMetadata: Codable, Hashable, Sendable {
    /// The PDS origin; must equal the origin the document was fetched from (R8).
    public let resource: String
    /// Exactly one https origin: the PDS's authorization server (R8).
    public let authorizationServers: [String]?
    /// Scopes the resource understands; informational.
    public let scopesSupported: [String]?
    /// How tokens may be presented; informational (DPoP is used regardless).
    public let bearerMethodsSupported: [String]?
    /// A human-readable page about the resource; informational.
    public let resourceDocumentation: String?

    enum CodingKeys: String, CodingKey {
        case resource
        case authorizationServers = "authorization_servers"
        case scopesSupported = "scopes_supported"
        case bearerMethodsSupported = "bearer_methods_supported"
        case resourceDocumentation = "resource_documentation"
    }

    /// Builds metadata from its members (the dev network serves these).
    public init(
        resource: String, authorizationServers: [String]?, scopesSupported: [String]? = nil,
        bearerMethodsSupported: [String]? = nil, resourceDocumentation: String? = nil
    ) {
        self.resource = resource
        self.authorizationServers = authorizationServers
        self.scopesSupported = scopesSupported
        self.bearerMethodsSupported = bearerMethodsSupported
        self.resourceDocumentation = resourceDocumentation
    }

    /// Decodes the document; errors are `.invalidMetadata`, rule R8, naming the field.
    public static func decode(_ data: Data) throws -> Self {
        try MetadataSupport.decode(
            Self.self, from: data, code: .invalidMetadata, rule: "R8", document: "protected resource metadata")
    }

    /// R8: exactly HTTP 200 (a redirect is named as such) with a JSON media type.
    public static func responseChecks(_ response: HTTPResponse) -> [ProfileCheck] {
        MetadataSupport.responseChecks(response, rule: "R8")
    }

    /// R8 checks, named `resource`, `authorization_servers` and `authorization_server`.
    public func checks(pds: URL, allowHTTPLoopback: Bool) -> [ProfileCheck] {
        var result: [ProfileCheck] = []
        let expected = pds.originString ?? pds.absoluteString
        let resourceURL = URL(string: resource)
        let resourceMatches = resourceURL.map { $0.isBareOrigin && $0.originString == expected } ?? false
        result.append(
            ProfileCheck(
                rule: "R8", name: "resource", ok: resourceMatches,
                detail: resourceMatches
                    ? "resource \(resource) equals the PDS origin"
                    : "resource \(resource) does not equal the PDS origin \(expected)"))

        let servers = authorizationServers ?? []
        result.append(
            ProfileCheck(
                rule: "R8", name: "authorization_servers", ok: servers.count == 1,
                detail: servers.count == 1
                    ? "exactly one authorization server"
                    : "\(servers.count) authorization servers listed; exactly one is required"))

        if let first = servers.first {
            let problem = Self.authorizationServerProblem(first, allowHTTPLoopback: allowHTTPLoopback)
            result.append(
                ProfileCheck(
                    rule: "R8", name: "authorization_server", ok: problem == nil,
                    detail: problem ?? "\(first) is a bare https origin"))
        } else {
            result.append(
                ProfileCheck(
                    rule: "R8", name: "authorization_server", ok: false, detail: "no authorization server to check"))
        }
        return result
    }

    /// The one authorization server (R8), as a bare origin URL; throws `.invalidMetadata`
    /// when there is not exactly one or it is not an https origin (http loopback is never
    /// accepted here; use `checks(pds:allowHTTPLoopback:)` first in development mode).
    public func authorizationServer() throws -> URL {
        try authorizationServer(allowHTTPLoopback: false)
    }

    /// As `authorizationServer()`, permitting `http://` loopback origins when asked (R29).
    public func authorizationServer(allowHTTPLoopback: Bool) throws -> URL {
        let servers = authorizationServers ?? []
        guard servers.count == 1, let first = servers.first else {
            throw ATProtoOAuthError(
                .invalidMetadata, rule: "R8", field: "authorization_servers",
                "\(servers.count) authorization servers listed; exactly one is required")
        }
        if let problem = Self.authorizationServerProblem(first, allowHTTPLoopback: allowHTTPLoopback) {
            throw ATProtoOAuthError(.invalidMetadata, rule: "R8", field: "authorization_servers", problem)
        }
        guard let url = URL(string: first), let origin = url.originString, let originURL = URL(string: origin) else {
            throw ATProtoOAuthError(
                .invalidMetadata, rule: "R8", field: "authorization_servers", "\(first) is not a URL")
        }
        return originURL
    }

    static func authorizationServerProblem(_ string: String, allowHTTPLoopback: Bool) -> String? {
        guard let url = URL(string: string), url.isBareOrigin else {
            return "\(string) is not a bare origin (no path, query, fragment or credentials allowed)"
        }
        if url.scheme?.lowercased() == "https" { return nil }
        if allowHTTPLoopback && url.isLoopback { return nil }
        return "\(string) must use https"
    }
}
