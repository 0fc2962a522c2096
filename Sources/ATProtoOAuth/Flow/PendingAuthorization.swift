import Foundation

/// Everything a client must remember between sending an authorization request (PAR) and
/// receiving its callback, so that the callback can be completed later — by another request
/// handler, or another process — with nothing but the callback's query (R16).
///
/// It is what the loopback login keeps in memory while the browser is away, made a value so
/// an app that owns its redirect URI can keep it in an ``AuthorizationStateStore`` between
/// `authorize` and `callback`. None of it travels inside `state`, which is only the random,
/// single-use key the store finds it by.
///
/// It holds two secrets — the DPoP private key and the PKCE verifier — so a store that
/// persists it must protect it as it protects sessions. Its `description` (and what `dump`
/// shows) redacts them, and the `state` too: whoever holds the state can spend the entry.
public struct PendingAuthorization: Codable, Sendable, Hashable, CustomStringConvertible,
    CustomDebugStringConvertible, CustomReflectable
{
    /// How long an entry stays usable. A PAR `request_uri` lives about a minute, but that
    /// only bounds when the consent page may be opened; a person may then take minutes to
    /// sign in and consent, so the entry is kept longer, never forever.
    public static let defaultLifetime: Duration = .seconds(600)

    /// The random `state` sent in the PAR request; the callback must echo it (R18). The key
    /// a store finds this entry by.
    public var state: String
    /// The issuer the callback's `iss` must equal (R18, RFC 9207); the session's issuer.
    public var issuer: String
    /// Where the code is exchanged (R19), kept so completing needs no new discovery.
    public var tokenEndpoint: URL
    /// Where tokens are revoked when a check fails (R27); the session keeps it too.
    public var revocationEndpoint: URL?
    /// Kept with the session, so a later login can reuse it without discovery.
    public var pushedAuthorizationRequestEndpoint: URL
    /// Kept with the session, so a later login can reuse it without discovery.
    public var authorizationEndpoint: URL
    /// The private key this flow's proofs are signed with, and the session's tokens bound to
    /// (R17). Secret.
    public var dpopKey: JWK
    /// The PKCE verifier (R15). Secret.
    public var pkceVerifier: String
    /// The redirect URI sent in the PAR request; the token request repeats it (R19).
    public var redirectURI: String
    /// The `client_id` the request was made with (a development client's names the
    /// redirect URI, R13).
    public var clientID: String
    /// The scope requested (R28); the granted scope must include `atproto` (R20).
    public var scope: String
    /// The account discovery found, which the token's `sub` must equal (R21); `nil` when the
    /// flow started from a server URL, so `sub` is resolved instead.
    public var expectedDID: DID?
    /// The account's handle, only when discovery verified it both ways (R5).
    public var expectedHandle: Handle?
    /// The account's PDS (or, from a server URL, the server typed).
    public var expectedPDS: URL
    /// DPoP nonces learnt so far, per origin (R23): the token request then needs no retry.
    public var dpopNonces: [String: String]
    /// When the authorization request was made; entries older than their lifetime are spent.
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case state, issuer
        case tokenEndpoint = "token_endpoint"
        case revocationEndpoint = "revocation_endpoint"
        case pushedAuthorizationRequestEndpoint = "pushed_authorization_request_endpoint"
        case authorizationEndpoint = "authorization_endpoint"
        case dpopKey = "dpop_key"
        case pkceVerifier = "pkce_verifier"
        case redirectURI = "redirect_uri"
        case clientID = "client_id"
        case scope
        case expectedDID = "expected_did"
        case expectedHandle = "expected_handle"
        case expectedPDS = "expected_pds"
        case dpopNonces = "dpop_nonces"
        case createdAt = "created_at"
    }

    public init(
        state: String, issuer: String, tokenEndpoint: URL, revocationEndpoint: URL?,
        pushedAuthorizationRequestEndpoint: URL, authorizationEndpoint: URL, dpopKey: JWK, pkceVerifier: String,
        redirectURI: String, clientID: String, scope: String, expectedDID: DID?, expectedHandle: Handle?,
        expectedPDS: URL, dpopNonces: [String: String] = [:], createdAt: Date
    ) {
        self.state = state
        self.issuer = issuer
        self.tokenEndpoint = tokenEndpoint
        self.revocationEndpoint = revocationEndpoint
        self.pushedAuthorizationRequestEndpoint = pushedAuthorizationRequestEndpoint
        self.authorizationEndpoint = authorizationEndpoint
        self.dpopKey = dpopKey
        self.pkceVerifier = pkceVerifier
        self.redirectURI = redirectURI
        self.clientID = clientID
        self.scope = scope
        self.expectedDID = expectedDID
        self.expectedHandle = expectedHandle
        self.expectedPDS = expectedPDS
        self.dpopNonces = dpopNonces
        self.createdAt = createdAt
    }

    /// Whether the entry is older than `lifetime` at `now`, so its callback must be refused.
    public func isExpired(at now: Date, lifetime: Duration = Self.defaultLifetime) -> Bool {
        now.timeIntervalSince(createdAt) > lifetime.timeInterval
    }

    /// Names the flow; redacts the state, the PKCE verifier and the DPoP private key.
    public var description: String {
        "PendingAuthorization(issuer: \(issuer), expectedDID: \(expectedDID?.rawValue ?? "none"), "
            + "redirectURI: \(redirectURI), clientID: \(clientID), scope: \(scope), "
            + "createdAt: \(Session.iso8601(createdAt)), state: <redacted>, pkceVerifier: <redacted>, "
            + "dpopKey: <redacted>)"
    }

    public var debugDescription: String { description }

    /// What `dump` and debuggers show: the public fields only.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "issuer": issuer, "expectedDID": expectedDID?.rawValue ?? "none", "redirectURI": redirectURI,
                "clientID": clientID, "scope": scope, "createdAt": createdAt, "state": "<redacted>",
                "pkceVerifier": "<redacted>", "dpopKey": "<redacted>",
            ], displayStyle: .struct)
    }
}
