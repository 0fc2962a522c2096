import Foundation

/// The token endpoint's answer (RFC 6749 §5.1 + RFC 9449 + ATProto's `sub`), as sent.
/// Validate it with `validate(requestedScope:expectedSubject:)` before storing anything.
public struct TokenResponse: Decodable, Sendable, Hashable, CustomStringConvertible {
    public let accessToken: String
    public let tokenType: String
    public let expiresIn: Int?
    public let refreshToken: String?
    public let scope: String?
    public let sub: String?

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case tokenType = "token_type"
        case expiresIn = "expires_in"
        case refreshToken = "refresh_token"
        case scope
        case sub
    }

    public init(
        accessToken: String, tokenType: String, expiresIn: Int?, refreshToken: String?, scope: String?, sub: String?
    ) {
        self.accessToken = accessToken
        self.tokenType = tokenType
        self.expiresIn = expiresIn
        self.refreshToken = refreshToken
        self.scope = scope
        self.sub = sub
    }

    /// HTTP 200 with a JSON token set; an OAuth error body (any status) becomes `.oauthError`
    /// whose field is the error code (`invalid_grant`, …) and whose reason carries the
    /// description. Malformed bodies are `.invalidTokenResponse` naming the field (R20).
    public static func parse(_ response: HTTPResponse) throws -> Self {
        guard response.status == 200 else {
            if let error = OAuthErrorResponse.parse(response) {
                throw error.asError(rule: "R20", context: "token request")
            }
            throw ATProtoOAuthError(
                .invalidTokenResponse, rule: "R20", field: "status",
                "token request: HTTP \(response.status) without an OAuth error body")
        }
        return try MetadataSupport.decode(
            Self.self, from: response.body, code: .invalidTokenResponse, rule: "R20", document: "token response")
    }

    /// R20: `token_type` is DPoP (case-insensitive), `sub` is a DID, `scope` is present, an
    /// RFC 6749 scope string, and includes `atproto`. Nothing else in the granted scope can
    /// fail: it is kept verbatim (`ValidatedToken.scope.rawValue`), forms we don't know become
    /// `.unrecognized`, a partial grant is accepted and `ValidatedToken.notGranted` lists what
    /// was asked for and not granted. R21: `sub` equals `expectedSubject` when given.
    public func validate(requestedScope: String, expectedSubject: DID?) throws -> ValidatedToken {
        func fail(_ rule: String, _ field: String, _ reason: String) -> ATProtoOAuthError {
            ATProtoOAuthError(.invalidTokenResponse, rule: rule, field: field, reason)
        }
        guard !accessToken.isEmpty else { throw fail("R20", "access_token", "access_token is empty") }
        guard tokenType.caseInsensitiveCompare("DPoP") == .orderedSame else {
            throw fail("R20", "token_type", "token_type is \(tokenType); ATProto requires DPoP-bound tokens")
        }
        guard let sub, !sub.isEmpty else { throw fail("R20", "sub", "sub is missing") }
        let subject: DID
        do {
            subject = try DID(sub)
        } catch {
            throw fail("R20", "sub", "sub \(sub) is not a DID")
        }
        guard let scope else { throw fail("R20", "scope", "scope is missing") }
        let granted: ScopeSet
        do {
            granted = try ScopeSet(granted: scope)
        } catch {
            let reason = (error as? ATProtoOAuthError)?.reason ?? "\(error)"
            throw fail("R20", "scope", "scope \(scope) is not an RFC 6749 scope string: \(reason)")
        }
        guard granted.includesATProto else { throw fail("R20", "scope", "scope \(scope) does not include atproto") }
        if let expectedSubject, expectedSubject != subject {
            throw fail(
                "R21", "sub",
                "sub \(subject.rawValue) is not the account the login started with (\(expectedSubject.rawValue))")
        }
        if let expiresIn, expiresIn <= 0 { throw fail("R20", "expires_in", "expires_in \(expiresIn) is not positive") }
        let notGranted = Self.notGranted(requested: requestedScope, granted: granted)
        return ValidatedToken(
            accessToken: accessToken, refreshToken: refreshToken, expiresIn: expiresIn, scope: granted, sub: subject,
            notGranted: notGranted)
    }

    /// The requested tokens the grant does not cover, compared by meaning
    /// (`ScopeSet.grants(_:)`), each once, in request order. Tokens that do not parse are
    /// compared by spelling.
    ///
    /// An `include:` permission set comes back expanded into `repo:`/`rpc:`/`blob:`… tokens,
    /// so it is never compared by spelling: it counts as granted when the grant names it, or
    /// holds any permission the request did not name itself (the expansion — which set it
    /// came from is not knowable without the Lexicon). It is listed only when the grant holds
    /// nothing it could have expanded into.
    static func notGranted(requested: String, granted: ScopeSet) -> [String] {
        let tokens = requested.split(separator: " ").map(String.init).reduce(into: [String]()) { list, token in
            if !list.contains(token) { list.append(token) }
        }
        let parsed = tokens.map { (token: $0, scope: try? OAuthScope($0, allowUnrecognized: true)) }
        let explicit = ScopeSet(
            parsed.compactMap { item in
                guard let scope = item.scope else { return nil }
                if case .include = scope.kind { return nil }
                return scope
            })
        let grantedTokens = Set(granted.rawValue.split(separator: " ").map(String.init))
        let expansion = granted.scopes.contains { scope in
            switch scope.kind {
            case .atproto, .transition, .include: false
            case .repo, .rpc, .blob, .account, .identity, .unrecognized: !explicit.grants(scope)
            }
        }
        return parsed.filter { item in
            guard let scope = item.scope else { return !grantedTokens.contains(item.token) }
            if case .include = scope.kind { return !(granted.contains(scope) || expansion) }
            return !granted.grants(scope)
        }.map(\.token)
    }

    /// Redacts both tokens.
    public var description: String {
        "TokenResponse(tokenType: \(tokenType), expiresIn: \(expiresIn.map(String.init) ?? "none"), "
            + "scope: \(scope ?? "none"), sub: \(sub ?? "none"), accessToken: <redacted>, "
            + "refreshToken: \(refreshToken == nil ? "none" : "<redacted>"))"
    }
}

/// A token set that passed R20 (and R21 when a subject was expected): ready to store.
public struct ValidatedToken: Sendable, Hashable, CustomStringConvertible {
    public let accessToken: String
    public let refreshToken: String?
    public let expiresIn: Int?
    /// What was granted (may be less than, or spelt differently from, what was requested):
    /// `scope.rawValue` is the server's string verbatim, `scope.scopes` the parsed view.
    public let scope: ScopeSet
    public let sub: DID
    /// Requested scope tokens the server did not grant (partial grant), in request order,
    /// compared by meaning; an `include:` the server expanded counts as granted (see
    /// `TokenResponse.notGranted(requested:granted:)`).
    public let notGranted: [String]

    public init(
        accessToken: String, refreshToken: String?, expiresIn: Int?, scope: ScopeSet, sub: DID,
        notGranted: [String] = []
    ) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresIn = expiresIn
        self.scope = scope
        self.sub = sub
        self.notGranted = notGranted
    }

    /// Redacts both tokens.
    public var description: String {
        "ValidatedToken(sub: \(sub.rawValue), scope: \(scope), expiresIn: \(expiresIn.map(String.init) ?? "none"), "
            + "accessToken: <redacted>, refreshToken: \(refreshToken == nil ? "none" : "<redacted>"))"
    }
}
