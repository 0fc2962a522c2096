import Foundation

extension AuthorizationServerMetadata {
    /// R9, one named check per rule item, in the checklist's order. `expected` is the origin
    /// the document was fetched from (the authorization server named by the PDS).
    ///
    /// Names are stable (tests and the discovery inspector key on them): `issuer`,
    /// `authorization_endpoint`, `token_endpoint`, `response_types_supported`,
    /// `grant_types_supported`, `code_challenge_methods_supported`,
    /// `token_endpoint_auth_methods_supported`, `token_endpoint_auth_signing_alg_values_supported`,
    /// `scopes_supported`, `authorization_response_iss_parameter_supported`,
    /// `require_pushed_authorization_requests`, `pushed_authorization_request_endpoint`,
    /// `dpop_signing_alg_values_supported`, `require_request_uri_registration`,
    /// `client_id_metadata_document_supported`.
    public func checks(issuer expected: URL, allowHTTPLoopback: Bool) -> [ProfileCheck] {
        var result: [ProfileCheck] = []
        func add(_ name: String, _ ok: Bool, _ pass: String, _ fail: String) {
            result.append(ProfileCheck(rule: "R9", name: name, ok: ok, detail: ok ? pass : fail))
        }
        func list(_ values: [String]?) -> String {
            values.map { "[" + $0.joined(separator: ", ") + "]" } ?? "absent"
        }
        func flag(_ value: Bool?) -> String { value.map { String($0) } ?? "absent" }
        func requires(_ name: String, _ values: [String]?, _ required: [String]) {
            let missing = required.filter { !(values ?? []).contains($0) }
            add(
                name, missing.isEmpty, "\(list(values)) includes \(required.joined(separator: ", "))",
                "\(list(values)) lacks \(missing.joined(separator: ", "))")
        }

        // issuer == the origin fetched, and itself a secure bare origin.
        let origin = expected.originString ?? expected.absoluteString
        let issuerProblem: String?
        if issuer != origin {
            issuerProblem = "issuer \(issuer) does not equal the fetched origin \(origin)"
        } else {
            issuerProblem = ProtectedResourceMetadata.authorizationServerProblem(
                issuer, allowHTTPLoopback: allowHTTPLoopback)
        }
        add("issuer", issuerProblem == nil, "issuer \(issuer) equals the fetched origin", issuerProblem ?? "")

        for (name, value) in [
            ("authorization_endpoint", authorizationEndpoint), ("token_endpoint", tokenEndpoint),
        ] {
            let problem = MetadataSupport.endpointProblem(value, allowHTTPLoopback: allowHTTPLoopback)
            add(name, problem == nil, "\(value)", problem ?? "")
        }

        requires("response_types_supported", responseTypesSupported, ["code"])
        requires("grant_types_supported", grantTypesSupported, ["authorization_code", "refresh_token"])
        requires("code_challenge_methods_supported", codeChallengeMethodsSupported, ["S256"])
        requires(
            "token_endpoint_auth_methods_supported", tokenEndpointAuthMethodsSupported, ["none", "private_key_jwt"])

        let signing = tokenEndpointAuthSigningAlgValuesSupported ?? []
        let signingOK = signing.contains("ES256") && !signing.contains("none")
        add(
            "token_endpoint_auth_signing_alg_values_supported", signingOK,
            "\(list(tokenEndpointAuthSigningAlgValuesSupported)) includes ES256 and not none",
            signing.contains("none")
                ? "\(list(tokenEndpointAuthSigningAlgValuesSupported)) must not include none"
                : "\(list(tokenEndpointAuthSigningAlgValuesSupported)) lacks ES256")

        requires("scopes_supported", scopesSupported, ["atproto"])

        add(
            "authorization_response_iss_parameter_supported", authorizationResponseIssParameterSupported == true,
            "true", "\(flag(authorizationResponseIssParameterSupported)); must be true (RFC 9207)")
        add(
            "require_pushed_authorization_requests", requirePushedAuthorizationRequests == true, "true",
            "\(flag(requirePushedAuthorizationRequests)); must be true")

        if let par = pushedAuthorizationRequestEndpoint {
            let problem = MetadataSupport.endpointProblem(par, allowHTTPLoopback: allowHTTPLoopback)
            add("pushed_authorization_request_endpoint", problem == nil, par, problem ?? "")
        } else {
            add("pushed_authorization_request_endpoint", false, "", "absent; PAR is mandatory (R14)")
        }

        requires("dpop_signing_alg_values_supported", dpopSigningAlgValuesSupported, ["ES256"])
        add(
            "require_request_uri_registration", requireRequestURIRegistration ?? true,
            "\(flag(requireRequestURIRegistration))", "false; must be absent or true")
        add(
            "client_id_metadata_document_supported", clientIDMetadataDocumentSupported == true, "true",
            "\(flag(clientIDMetadataDocumentSupported)); must be true")
        return result
    }

    /// R29 (RFC 9728 §4), named `protected_resources`: when the server lists the resources it
    /// protects, the PDS's `resource` must be among them, or this server does not vouch for
    /// the PDS. `nil` when the member is absent (most servers omit it; nothing to check).
    ///
    /// Entries are compared as the reference client compares them, plus tolerance for a
    /// trailing slash and letter case in scheme and host (`https://PDS.example/` names the
    /// same origin as `https://pds.example`).
    public func protectedResourcesCheck(resource: String) -> ProfileCheck? {
        guard let listed = protectedResources else { return nil }
        let wanted = Self.comparableResource(resource)
        let ok = listed.contains { Self.comparableResource($0) == wanted }
        let shown = "[" + listed.joined(separator: ", ") + "]"
        return ProfileCheck(
            rule: "R29", name: "protected_resources", ok: ok,
            detail: ok
                ? "\(shown) includes the PDS resource \(resource)"
                : "\(shown) does not include the PDS resource \(resource); this server does not protect it")
    }

    /// A resource identifier reduced for comparison: bare origins to their normalised origin
    /// string, anything else without trailing slashes.
    static func comparableResource(_ value: String) -> String {
        if let url = URL(string: value), url.isBareOrigin, let origin = url.originString { return origin }
        var trimmed = value
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        return trimmed
    }
}
