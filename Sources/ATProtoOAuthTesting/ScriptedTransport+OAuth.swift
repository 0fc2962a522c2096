import ATProtoOAuth
import Foundation

extension ScriptedTransport {
    /// A successful token response (R20's shape: `token_type` DPoP, `sub`, `scope`), as an
    /// authorization server answers a code exchange or a refresh.
    ///
    /// - Parameter dpopNonce: sent as the `DPoP-Nonce` header, as real servers rotate it.
    public static func tokenResponse(
        accessToken: String = "access-2", refreshToken: String? = "refresh-2", subject: String,
        scope: String = "atproto transition:generic", expiresIn: Int = 300, tokenType: String = "DPoP",
        dpopNonce: String? = nil
    ) -> HTTPResponse {
        var body: [String: JSONValue] = [
            "access_token": .string(accessToken), "token_type": .string(tokenType),
            "expires_in": .number(Double(expiresIn)), "scope": .string(scope), "sub": .string(subject),
        ]
        if let refreshToken { body["refresh_token"] = .string(refreshToken) }
        return .json(body, headers: dpopNonce.map { [("DPoP-Nonce", $0)] } ?? [])
    }

    /// An OAuth error answer (RFC 6749 §5.2): `invalid_grant` for a spent refresh token,
    /// `use_dpop_nonce` with a `dpopNonce` for an authorization server's nonce challenge (R23).
    public static func oauthError(
        _ error: String, description: String? = nil, status: Int = 400, dpopNonce: String? = nil
    ) -> HTTPResponse {
        var body: [String: JSONValue] = ["error": .string(error)]
        if let description { body["error_description"] = .string(description) }
        return .json(body, status: status, headers: dpopNonce.map { [("DPoP-Nonce", $0)] } ?? [])
    }

    /// A resource server's nonce challenge (R23): 401 with `WWW-Authenticate: DPoP
    /// error="use_dpop_nonce"` and the new nonce.
    public static func resourceNonceChallenge(_ nonce: String) -> HTTPResponse {
        HTTPResponse(
            status: 401,
            headers: [
                (
                    "WWW-Authenticate",
                    #"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#
                ),
                ("DPoP-Nonce", nonce),
            ])
    }

    /// Scripts everything discovery reads for one account (R4–R9), so an `OAuthClient` can
    /// resolve it — at login, and afresh before each refresh (R21):
    /// - `GET <plcDirectory>/<did>`: a DID document naming `pds` (and `handle`, if given);
    /// - `GET https://<handle>/.well-known/atproto-did`: the DID, when a handle is given;
    /// - `GET <pds>/.well-known/oauth-protected-resource`: `issuer` as its one server;
    /// - `GET <issuer>/.well-known/oauth-authorization-server`: metadata passing every R9
    ///   check, with the endpoints ``Session/testSession(did:handle:pds:issuer:accessToken:refreshToken:expiresAt:scope:clientID:dpopKey:now:)``
    ///   uses (`/oauth/par`, `/oauth/authorize`, `/oauth/token`, `/oauth/revoke`).
    ///
    /// Only `did:plc` DIDs are scripted; `plcDirectory` must be the client's
    /// `DiscoveryConfiguration.plcDirectory`.
    public func routeIdentity(
        did: String, handle: String? = nil, pds: URL, issuer: URL,
        plcDirectory: URL = URL(fileURLWithPath: "/")
    ) {
        var directory = plcDirectory.absoluteString
        while directory.hasSuffix("/") { directory.removeLast() }
        let pdsOrigin = Self.origin(pds)
        let issuerOrigin = Self.origin(issuer)
        var document: [String: JSONValue] = [
            "@context": .array([.string("https://www.w3.org/ns/did/v1")]),
            "id": .string(did),
            "verificationMethod": .array([]),
            "service": .array([
                .object([
                    "id": .string("#atproto_pds"), "type": .string("AtprotoPersonalDataServer"),
                    "serviceEndpoint": .string(pdsOrigin),
                ])
            ]),
        ]
        if let handle { document["alsoKnownAs"] = .array([.string("at://\(handle)")]) }
        route("\(directory)/\(did)", method: "GET", respond: .json(document))
        if let handle {
            route(
                "https://\(handle)/.well-known/atproto-did", method: "GET",
                respond: HTTPResponse(status: 200, headers: [("Content-Type", "text/plain")], body: Data(did.utf8)))
        }
        route(
            "\(pdsOrigin)/.well-known/oauth-protected-resource", method: "GET",
            respond: .json([
                "resource": .string(pdsOrigin), "authorization_servers": .array([.string(issuerOrigin)]),
                "scopes_supported": .array([]), "bearer_methods_supported": .array([.string("header")]),
            ]))
        route(
            "\(issuerOrigin)/.well-known/oauth-authorization-server", method: "GET",
            respond: .json(Self.authorizationServerMetadata(issuer: issuerOrigin)))
    }

    /// Metadata for `issuer` that passes every R9 check, with the conventional endpoints.
    public static func authorizationServerMetadata(issuer: String) -> [String: JSONValue] {
        func strings(_ values: [String]) -> JSONValue { .array(values.map(JSONValue.string)) }
        return [
            "issuer": .string(issuer),
            "authorization_endpoint": .string(issuer + "/oauth/authorize"),
            "token_endpoint": .string(issuer + "/oauth/token"),
            "pushed_authorization_request_endpoint": .string(issuer + "/oauth/par"),
            "revocation_endpoint": .string(issuer + "/oauth/revoke"),
            "response_types_supported": strings(["code"]),
            "response_modes_supported": strings(["query", "fragment"]),
            "grant_types_supported": strings(["authorization_code", "refresh_token"]),
            "code_challenge_methods_supported": strings(["S256"]),
            "token_endpoint_auth_methods_supported": strings(["none", "private_key_jwt"]),
            "token_endpoint_auth_signing_alg_values_supported": strings(["ES256"]),
            "scopes_supported": strings(["atproto", "transition:generic"]),
            "subject_types_supported": strings(["public"]),
            "authorization_response_iss_parameter_supported": .bool(true),
            "require_pushed_authorization_requests": .bool(true),
            "dpop_signing_alg_values_supported": strings(["ES256"]),
            "client_id_metadata_document_supported": .bool(true),
            "request_parameter_supported": .bool(false),
            "request_uri_parameter_supported": .bool(true),
        ]
    }

    /// Scripts a strict token endpoint at `url` (see ``ScriptedTokenEndpoint``) and returns
    /// it, so the test can read what it counted.
    ///
    /// - Parameters:
    ///   - refreshTokens: refresh token → the DID it was issued to; each is accepted once.
    ///   - codeSubject: the `sub` a code exchange answers with (a login test); `nil` refuses
    ///     code exchanges.
    @discardableResult
    public func routeTokenEndpoint(
        _ url: URL, refreshTokens: [String: String], codeSubject: String? = nil,
        scope: String = "atproto transition:generic", expiresIn: Int = 300, dpopNonce: String? = nil
    ) -> ScriptedTokenEndpoint {
        let endpoint = ScriptedTokenEndpoint(
            refreshTokens: refreshTokens, codeSubject: codeSubject, scope: scope, expiresIn: expiresIn,
            dpopNonce: dpopNonce)
        route(url, method: "POST") { try endpoint.respond(to: $0) }
        return endpoint
    }

    /// Scripts the token endpoint of `sessions` (their common `tokenEndpoint`), accepting
    /// each session's refresh token once; see ``routeTokenEndpoint(_:refreshTokens:codeSubject:scope:expiresIn:dpopNonce:)``.
    @discardableResult
    public func routeTokenEndpoint(
        for sessions: [Session], expiresIn: Int = 300, dpopNonce: String? = nil
    ) -> ScriptedTokenEndpoint {
        let endpoint = ScriptedTokenEndpoint(
            refreshTokens: Dictionary(
                sessions.compactMap { session in session.refreshToken.map { ($0, session.did.rawValue) } },
                uniquingKeysWith: { first, _ in first }),
            expiresIn: expiresIn, dpopNonce: dpopNonce)
        for url in Set(sessions.map(\.tokenEndpoint)) {
            route(url, method: "POST") { try endpoint.respond(to: $0) }
        }
        return endpoint
    }

    static func origin(_ url: URL) -> String {
        url.originString ?? url.absoluteString
    }
}

/// A token endpoint that keeps the rules a real authorization server enforces on refreshes
/// (R24): refresh tokens are single-use and rotate, and a spent one is refused with
/// `invalid_grant` — so a test proves a client never replays one, by counting.
///
/// Each accepted refresh spends the presented token and issues `access-N` / `refresh-N` for
/// the same DID (N counts from 2 across the endpoint, a session's first tokens being `…-1`).
/// A code exchange (`grant_type=authorization_code`) is answered with fresh tokens for
/// `codeSubject`. Every request must carry a valid DPoP proof (R22); with `dpopNonce`, a proof
/// without that nonce gets the `use_dpop_nonce` challenge (R23).
public final class ScriptedTokenEndpoint: @unchecked Sendable {
    private let lock = NSLock()
    private let codeSubject: String?
    private let scope: String
    private let expiresIn: Int
    private let dpopNonce: String?
    private var valid: [String: String]  // guarded by lock; refresh token → DID
    private var presented: [String] = []  // guarded by lock
    private var codes: [String] = []  // guarded by lock
    private var requests = 0  // guarded by lock
    private var replays = 0  // guarded by lock
    private var issued = 1  // guarded by lock

    /// - Parameters:
    ///   - refreshTokens: refresh token → the DID it was issued to; each is accepted once.
    ///   - codeSubject: the `sub` of a code exchange's answer; `nil` refuses code exchanges.
    public init(
        refreshTokens: [String: String], codeSubject: String? = nil, scope: String = "atproto transition:generic",
        expiresIn: Int = 300, dpopNonce: String? = nil
    ) {
        self.valid = refreshTokens
        self.codeSubject = codeSubject
        self.scope = scope
        self.expiresIn = expiresIn
        self.dpopNonce = dpopNonce
    }

    /// Every token request answered, nonce challenges included.
    public var requestCount: Int { lock.withLock { requests } }
    /// The refresh tokens presented, in order (a replayed one appears twice).
    public var presentedRefreshTokens: [String] { lock.withLock { presented } }
    /// The authorization codes exchanged, in order.
    public var exchangedCodes: [String] { lock.withLock { codes } }
    /// How many refreshes presented a token already spent (or never issued).
    public var replayCount: Int { lock.withLock { replays } }

    /// Answers one token request; route it from a ``ScriptedTransport`` (or wrap it, e.g. to
    /// hold requests in flight). Throws, like a transport failure, when the request carries
    /// no valid DPoP proof, so a client that forgets one fails loudly.
    public func respond(to request: HTTPRequest) throws -> HTTPResponse {
        let proof = try request.dpopProof()
        return lock.withLock {
            requests += 1
            if let dpopNonce, proof.nonce != dpopNonce {
                return ScriptedTransport.oauthError("use_dpop_nonce", dpopNonce: dpopNonce)
            }
            let subject: String
            switch request.formField("grant_type") {
            case "refresh_token":
                let token = request.formField("refresh_token") ?? ""
                presented.append(token)
                guard let owner = valid.removeValue(forKey: token) else {
                    replays += 1
                    return ScriptedTransport.oauthError("invalid_grant", description: "refresh token replayed")
                }
                subject = owner
            case "authorization_code":
                guard let codeSubject else {
                    return ScriptedTransport.oauthError("invalid_grant", description: "no code exchange scripted")
                }
                codes.append(request.formField("code") ?? "")
                subject = codeSubject
            default:
                return ScriptedTransport.oauthError("unsupported_grant_type")
            }
            issued += 1
            let refresh = "refresh-\(issued)"
            valid[refresh] = subject
            return ScriptedTransport.tokenResponse(
                accessToken: "access-\(issued)", refreshToken: refresh, subject: subject, scope: scope,
                expiresIn: expiresIn, dpopNonce: dpopNonce)
        }
    }
}

/// A ``TXTResolver`` answering from a dictionary (name → TXT strings), for clients built in
/// tests: an unknown name has no records, as NXDOMAIN does, so handle resolution falls back
/// to the HTTPS well-known route a ``ScriptedTransport`` can script.
public struct ScriptedTXTResolver: TXTResolver {
    /// The records served, by full name (e.g. `_atproto.alice.example.com`).
    public var records: [String: [String]]

    /// A resolver serving `records` (none by default).
    public init(_ records: [String: [String]] = [:]) {
        self.records = records
    }

    /// The records for `name`, or none.
    public func txtRecords(for name: String) async throws -> [String] {
        records[name] ?? []
    }
}
