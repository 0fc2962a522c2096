import Foundation

/// OAuth client metadata (RFC 7591 field names) as ATProto uses it: either a document hosted
/// at an https `client_id` URL (R10–R12) or the metadata implied by a `http://localhost`
/// development client id (R13).
public struct ClientMetadata: Codable, Hashable, Sendable {
    /// The client id: the document's URL for a hosted client (R10), `http://localhost…` for
    /// the development client (R13).
    public let clientID: String
    /// `native` for this client (R11).
    public let applicationType: String?
    /// Must include `authorization_code`, and `refresh_token` to keep sessions alive (R11).
    public let grantTypes: [String]?
    /// Every scope the client may request; must include `atproto` (R11, R28).
    public let scope: String?
    /// Must include `code` (R11).
    public let responseTypes: [String]?
    /// Where the authorization server may send the browser back: loopback URIs here (R12).
    public let redirectURIs: [String]?
    /// Must be `true` (R11).
    public let dpopBoundAccessTokens: Bool?
    /// `none`: a native client holds no secret (R11).
    public let tokenEndpointAuthMethod: String?
    /// Shown by the authorization server on its consent page.
    public let clientName: String?
    /// The client's home page, shown on the consent page.
    public let clientURI: String?
    /// A logo for the consent page.
    public let logoURI: String?
    /// Terms of service, linked from the consent page.
    public let tosURI: String?
    /// Privacy policy, linked from the consent page.
    public let policyURI: String?
    /// Public keys of a confidential client; unused by this public client.
    public let jwksURI: String?

    enum CodingKeys: String, CodingKey {
        case clientID = "client_id"
        case applicationType = "application_type"
        case grantTypes = "grant_types"
        case scope
        case responseTypes = "response_types"
        case redirectURIs = "redirect_uris"
        case dpopBoundAccessTokens = "dpop_bound_access_tokens"
        case tokenEndpointAuthMethod = "token_endpoint_auth_method"
        case clientName = "client_name"
        case clientURI = "client_uri"
        case logoURI = "logo_uri"
        case tosURI = "tos_uri"
        case policyURI = "policy_uri"
        case jwksURI = "jwks_uri"
    }

    /// Builds metadata from its members, as a hosted document or the development defaults.
    public init(
        clientID: String, applicationType: String?, grantTypes: [String]?, scope: String?,
        responseTypes: [String]?, redirectURIs: [String]?, dpopBoundAccessTokens: Bool?,
        tokenEndpointAuthMethod: String?, clientName: String? = nil, clientURI: String? = nil,
        logoURI: String? = nil, tosURI: String? = nil, policyURI: String? = nil, jwksURI: String? = nil
    ) {
        self.clientID = clientID
        self.applicationType = applicationType
        self.grantTypes = grantTypes
        self.scope = scope
        self.responseTypes = responseTypes
        self.redirectURIs = redirectURIs
        self.dpopBoundAccessTokens = dpopBoundAccessTokens
        self.tokenEndpointAuthMethod = tokenEndpointAuthMethod
        self.clientName = clientName
        self.clientURI = clientURI
        self.logoURI = logoURI
        self.tosURI = tosURI
        self.policyURI = policyURI
        self.jwksURI = jwksURI
    }

    /// Decodes a client metadata document; errors are `.invalidClientMetadata` naming the field.
    public static func decode(_ data: Data) throws -> Self {
        try MetadataSupport.decode(
            Self.self, from: data, code: .invalidClientMetadata, rule: "R11", document: "client metadata")
    }

    /// The metadata of a hosted native client (R10–R12): both grant types, `code`,
    /// DPoP-bound tokens, no client authentication.
    public static func hostedNative(
        clientID: URL, redirectURIs: [String], scope: String, clientName: String?, clientURI: String?
    ) -> ClientMetadata {
        ClientMetadata(
            clientID: clientID.absoluteString, applicationType: "native",
            grantTypes: ["authorization_code", "refresh_token"], scope: scope, responseTypes: ["code"],
            redirectURIs: redirectURIs, dpopBoundAccessTokens: true, tokenEndpointAuthMethod: "none",
            clientName: clientName, clientURI: clientURI)
    }

    /// R12: whether a redirect URI sent in a request is registered. An exact string match,
    /// or, for a registered `http://127.0.0.1/…` or `http://[::1]/…` URI without a port, the
    /// same URI with any port (RFC 8252 §7.3). `localhost` never gets the port exemption.
    public func allowsRedirectURI(_ uri: String) -> Bool {
        let registered = redirectURIs ?? []
        if let components = URLComponents(string: uri), components.scheme?.lowercased() == "http",
            components.host?.lowercased() == "localhost"
        {
            return false  // R12: never localhost, not even on an exact match
        }
        if registered.contains(uri) { return true }
        guard let candidate = URLComponents(string: uri), candidate.scheme?.lowercased() == "http",
            candidate.port != nil, let host = candidate.host, Self.isLoopbackIP(host),
            candidate.user == nil, candidate.password == nil, candidate.fragment == nil
        else { return false }
        return registered.contains { entry in
            guard let base = URLComponents(string: entry), base.scheme?.lowercased() == "http", base.port == nil,
                let baseHost = base.host, Self.isLoopbackIP(baseHost), baseHost.lowercased() == host.lowercased(),
                base.user == nil, base.password == nil, base.fragment == nil
            else { return false }
            let basePath = base.percentEncodedPath.isEmpty ? "/" : base.percentEncodedPath
            let candidatePath = candidate.percentEncodedPath.isEmpty ? "/" : candidate.percentEncodedPath
            return basePath == candidatePath && base.percentEncodedQuery == candidate.percentEncodedQuery
        }
    }

    /// `127.0.0.1` or `::1` (as URLComponents reports it, with or without brackets).
    static func isLoopbackIP(_ host: String) -> Bool {
        host == "127.0.0.1" || host == "[::1]" || host == "::1"
    }
}
