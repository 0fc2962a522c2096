import Foundation

/// OAuth 2.0 authorization-server metadata (RFC 8414), fetched from
/// `<issuer>/.well-known/oauth-authorization-server` and checked item by item against R9.
public struct AuthorizationServerMetadata: Codable, Hashable, Sendable {
    /// The server's identifier; must equal the origin the document was fetched from (R9) and
    /// the `iss` of the callback (R18).
    public let issuer: String
    /// Where the browser is sent with the `request_uri` from PAR.
    public let authorizationEndpoint: String
    /// Where codes are exchanged and tokens refreshed (R19, R24).
    public let tokenEndpoint: String
    /// Where the authorization request is pushed first; required (R9, R14).
    public let pushedAuthorizationRequestEndpoint: String?
    /// Where logout revokes the grant (R27); without it, logout can only forget the session.
    public let revocationEndpoint: String?
    /// Token introspection; kept for the discovery inspector, unused by the client.
    public let introspectionEndpoint: String?
    /// Must include `code` (R9).
    public let responseTypesSupported: [String]?
    /// Must include `authorization_code` and `refresh_token` (R9).
    public let grantTypesSupported: [String]?
    /// Must include `S256`, the only PKCE method used (R9, R15).
    public let codeChallengeMethodsSupported: [String]?
    /// Must include `none` (public clients) and `private_key_jwt` (R9).
    public let tokenEndpointAuthMethodsSupported: [String]?
    /// Must include `ES256` and never `none` (R9).
    public let tokenEndpointAuthSigningAlgValuesSupported: [String]?
    /// Must include `atproto` (R9).
    public let scopesSupported: [String]?
    /// Must be `true`: the callback carries `iss`, checked against ``issuer`` (R9, R18).
    public let authorizationResponseIssParameterSupported: Bool?
    /// Must be `true` (R9).
    public let requirePushedAuthorizationRequests: Bool?
    /// Must include `ES256`, the DPoP algorithm used (R9, R22).
    public let dpopSigningAlgValuesSupported: [String]?
    /// Absent or `true` (R9).
    public let requireRequestURIRegistration: Bool?
    /// Must be `true`: ATProto clients are identified by a metadata URL (R9, R10).
    public let clientIDMetadataDocumentSupported: Bool?
    /// RFC 9728 §4: the resources this server protects. When listed, it must include the
    /// PDS's `resource` (R29).
    public let protectedResources: [String]?

    enum CodingKeys: String, CodingKey {
        case issuer
        case authorizationEndpoint = "authorization_endpoint"
        case tokenEndpoint = "token_endpoint"
        case pushedAuthorizationRequestEndpoint = "pushed_authorization_request_endpoint"
        case revocationEndpoint = "revocation_endpoint"
        case introspectionEndpoint = "introspection_endpoint"
        case responseTypesSupported = "response_types_supported"
        case grantTypesSupported = "grant_types_supported"
        case codeChallengeMethodsSupported = "code_challenge_methods_supported"
        case tokenEndpointAuthMethodsSupported = "token_endpoint_auth_methods_supported"
        case tokenEndpointAuthSigningAlgValuesSupported = "token_endpoint_auth_signing_alg_values_supported"
        case scopesSupported = "scopes_supported"
        case authorizationResponseIssParameterSupported = "authorization_response_iss_parameter_supported"
        case requirePushedAuthorizationRequests = "require_pushed_authorization_requests"
        case dpopSigningAlgValuesSupported = "dpop_signing_alg_values_supported"
        case requireRequestURIRegistration = "require_request_uri_registration"
        case clientIDMetadataDocumentSupported = "client_id_metadata_document_supported"
        case protectedResources = "protected_resources"
    }

    /// Builds metadata from its members (the dev network serves these; tests break one at a time).
    public init(
        issuer: String, authorizationEndpoint: String, tokenEndpoint: String,
        pushedAuthorizationRequestEndpoint: String? = nil, revocationEndpoint: String? = nil,
        introspectionEndpoint: String? = nil, responseTypesSupported: [String]? = nil,
        grantTypesSupported: [String]? = nil, codeChallengeMethodsSupported: [String]? = nil,
        tokenEndpointAuthMethodsSupported: [String]? = nil,
        tokenEndpointAuthSigningAlgValuesSupported: [String]? = nil, scopesSupported: [String]? = nil,
        authorizationResponseIssParameterSupported: Bool? = nil, requirePushedAuthorizationRequests: Bool? = nil,
        dpopSigningAlgValuesSupported: [String]? = nil, requireRequestURIRegistration: Bool? = nil,
        clientIDMetadataDocumentSupported: Bool? = nil, protectedResources: [String]? = nil
    ) {
        self.issuer = issuer
        self.authorizationEndpoint = authorizationEndpoint
        self.tokenEndpoint = tokenEndpoint
        self.pushedAuthorizationRequestEndpoint = pushedAuthorizationRequestEndpoint
        self.revocationEndpoint = revocationEndpoint
        self.introspectionEndpoint = introspectionEndpoint
        self.responseTypesSupported = responseTypesSupported
        self.grantTypesSupported = grantTypesSupported
        self.codeChallengeMethodsSupported = codeChallengeMethodsSupported
        self.tokenEndpointAuthMethodsSupported = tokenEndpointAuthMethodsSupported
        self.tokenEndpointAuthSigningAlgValuesSupported = tokenEndpointAuthSigningAlgValuesSupported
        self.scopesSupported = scopesSupported
        self.authorizationResponseIssParameterSupported = authorizationResponseIssParameterSupported
        self.requirePushedAuthorizationRequests = requirePushedAuthorizationRequests
        self.dpopSigningAlgValuesSupported = dpopSigningAlgValuesSupported
        self.requireRequestURIRegistration = requireRequestURIRegistration
        self.clientIDMetadataDocumentSupported = clientIDMetadataDocumentSupported
        self.protectedResources = protectedResources
    }

    /// Decodes the document; errors are `.invalidMetadata`, rule R9, naming the field.
    public static func decode(_ data: Data) throws -> Self {
        try MetadataSupport.decode(
            Self.self, from: data, code: .invalidMetadata, rule: "R9", document: "authorization server metadata")
    }

    /// R9: exactly HTTP 200 (a redirect is named as such) with a JSON media type.
    public static func responseChecks(_ response: HTTPResponse) -> [ProfileCheck] {
        MetadataSupport.responseChecks(response, rule: "R9")
    }

    /// The endpoints as URLs, once `checks` passed. Throws `.invalidMetadata` naming the field.
    public func endpointURL(_ field: String) throws -> URL {
        let value: String?
        switch field {
        case "authorization_endpoint": value = authorizationEndpoint
        case "token_endpoint": value = tokenEndpoint
        case "pushed_authorization_request_endpoint": value = pushedAuthorizationRequestEndpoint
        case "revocation_endpoint": value = revocationEndpoint
        case "introspection_endpoint": value = introspectionEndpoint
        default: value = nil
        }
        guard let value, let url = URL(string: value), url.host(percentEncoded: false)?.isEmpty == false else {
            throw ATProtoOAuthError(.invalidMetadata, rule: "R9", field: field, "missing or not an absolute URL")
        }
        return url
    }
}
