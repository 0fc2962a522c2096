import Foundation

extension ClientMetadata {
    /// R10–R12 checks of a hosted client metadata document fetched from `clientID`.
    ///
    /// Names: R10 `client_id_url`, `client_id` (and `status`, `content_type` when
    /// `fetchedResponse` is given); R11 `grant_types`, `scope`, `response_types`,
    /// `redirect_uris`, `dpop_bound_access_tokens`, `application_type`,
    /// `token_endpoint_auth_method`; R12 `redirect_uri_forms`.
    /// `requestedScope`, when given, must be covered too: the document's `scope` has to
    /// include every scope the client will ever request (R11).
    ///
    /// `allowHTTPLoopback` (development networks only) accepts an `http://127.0.0.1:port/…`
    /// document URL, as a dev authorization server does; R10 otherwise demands https without port.
    public func checks(
        clientID url: URL, fetchedResponse: HTTPResponse?, requestedScope: String? = nil,
        allowHTTPLoopback: Bool = false
    ) -> [ProfileCheck] {
        var result: [ProfileCheck] = []
        func add(_ rule: String, _ name: String, _ ok: Bool, _ pass: String, _ fail: String) {
            result.append(ProfileCheck(rule: rule, name: name, ok: ok, detail: ok ? pass : fail))
        }

        // R10: https, a host, no port, no credentials or fragment.
        let urlProblem: String?
        if allowHTTPLoopback, url.scheme?.lowercased() == "http", url.isLoopback,
            url.user == nil, url.password == nil, url.fragment == nil
        {
            urlProblem = nil
        } else if url.scheme?.lowercased() != "https" {
            urlProblem = "\(url.absoluteString) must use https"
        } else if url.host(percentEncoded: false)?.isEmpty ?? true {
            urlProblem = "\(url.absoluteString) has no host"
        } else if url.port != nil {
            urlProblem = "\(url.absoluteString) must not name a port"
        } else if url.user != nil || url.password != nil || url.fragment != nil {
            urlProblem = "\(url.absoluteString) must not carry credentials or a fragment"
        } else {
            urlProblem = nil
        }
        add(
            "R10", "client_id_url", urlProblem == nil,
            url.scheme?.lowercased() == "https"
                ? "\(url.absoluteString) is an https URL without port"
                : "\(url.absoluteString) is a loopback URL (development mode)",
            urlProblem ?? "")
        add(
            "R10", "client_id", clientID == url.absoluteString, "client_id equals the document URL",
            "client_id \(clientID) does not equal the document URL \(url.absoluteString)")
        if let fetchedResponse {
            result += MetadataSupport.responseChecks(fetchedResponse, rule: "R10")
        }

        // R11: fields.
        let grants = grantTypes ?? []
        let missingGrants = ["authorization_code", "refresh_token"].filter { !grants.contains($0) }
        add(
            "R11", "grant_types", missingGrants.isEmpty, "includes authorization_code and refresh_token",
            "lacks \(missingGrants.joined(separator: ", "))")
        let scopes = (scope ?? "").split(separator: " ").map(String.init)
        let required = ["atproto"] + (requestedScope ?? "").split(separator: " ").map(String.init)
        let missingScopes = required.filter { !scopes.contains($0) }.reduce(into: [String]()) { list, item in
            if !list.contains(item) { list.append(item) }
        }
        add(
            "R11", "scope", missingScopes.isEmpty, "\(scope ?? "") includes atproto and every requested scope",
            "\(scope ?? "absent") lacks \(missingScopes.joined(separator: " "))")
        add(
            "R11", "response_types", (responseTypes ?? []).contains("code"), "includes code",
            "\(responseTypes?.joined(separator: ", ") ?? "absent") lacks code")
        let redirects = redirectURIs ?? []
        add("R11", "redirect_uris", !redirects.isEmpty, "\(redirects.count) registered", "none registered")
        add(
            "R11", "dpop_bound_access_tokens", dpopBoundAccessTokens == true, "true",
            "\(dpopBoundAccessTokens.map { String($0) } ?? "absent"); must be true")
        add(
            "R11", "application_type", applicationType == "native", "native",
            "\(applicationType ?? "absent"); a public loopback client must be native")
        add(
            "R11", "token_endpoint_auth_method", tokenEndpointAuthMethod == "none", "none",
            "\(tokenEndpointAuthMethod ?? "absent"); a public client must use none")

        // R12: redirect forms.
        let bad = redirects.compactMap { Self.redirectURIProblem($0) }
        add(
            "R12", "redirect_uri_forms", bad.isEmpty, "every redirect URI has an allowed form",
            bad.joined(separator: "; "))
        return result
    }

    /// R12: an allowed redirect URI is `http://127.0.0.1/…` or `http://[::1]/…` (never
    /// `localhost`), an https URL, or a private-use scheme (`com.example.app:/callback`,
    /// reverse-domain with a dot). Returns the problem, or `nil` when allowed.
    static func redirectURIProblem(_ uri: String) -> String? {
        guard let components = URLComponents(string: uri), let scheme = components.scheme?.lowercased() else {
            return "\(uri) is not a URI"
        }
        if components.fragment != nil { return "\(uri) must not have a fragment" }
        switch scheme {
        case "http":
            guard let host = components.host?.lowercased() else { return "\(uri) has no host" }
            if host == "localhost" { return "\(uri) uses localhost; use http://127.0.0.1/ or http://[::1]/" }
            return isLoopbackIP(host) ? nil : "\(uri) uses http on a non-loopback host"
        case "https":
            return (components.host?.isEmpty ?? true) ? "\(uri) has no host" : nil
        default:
            return scheme.contains(".") ? nil : "\(uri) uses scheme \(scheme); private-use schemes are reverse-domain"
        }
    }
}
