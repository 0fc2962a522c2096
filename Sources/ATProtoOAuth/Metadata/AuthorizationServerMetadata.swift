import Foundation

/// OAuth 2.0 authorization-server metadata (RFC 8414), fetched from
/// `<issuer>/.well-known/oauth-authorization-server` and checked item by item against R9.
public struct AuthorizationServerMetadata: Codable, Hashable, Sendable {
    public let issuer: String
    public let authorizationEndpoint: String
    public let tokenEndpoint: String
    public let pushedAuthorizationRequestEndpoint: String?
    public let revocationEndpoint: String?
    public let introspectionEndpoint: String?
    public let responseTypesSupported: [String]?
    public let grantTypesSupported: [String]?
    public let codeChallengeMethodsSupported: [String]?
    public let tokenEndpointAuthMethodsSupported: [String]?
    public let tokenEndpointAuthSigningAlgValuesSupported: [String]?
    public let scopesSupported: [String]?
    public let authorizationResponseIssParameterSupported: Bool?
    public let requirePushedAuthorizationRequests: Bool?
    public let dpopSigningAlgValuesSupported: [String]?
    public let requireRequestURIRegistration: Bool?
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
