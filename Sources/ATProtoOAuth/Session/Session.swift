import Foundation

/// One logged-in account: tokens, the DPoP key they are bound to, per-server DPoP nonces
/// (R23) and the authorization-server endpoints needed to refresh and revoke without a new
/// discovery. Persisted as JSON (`encoded()` / `decode(_:)`) with a format `version`.
public struct Session: Codable, Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The format this build writes. Files with a higher version are refused, not guessed at.
    public static let currentVersion = 1

    /// The file format this session was written in (``currentVersion`` once loaded).
    public var version: Int
    /// The account, and the session's key in every store.
    public var did: DID
    /// The handle verified at login (R5); `nil` when it did not verify.
    public var handle: Handle?
    /// Where requests go; updated when the account moves under the same issuer (R21).
    public var pds: URL
    /// The authorization server that granted the tokens; a different one means a new login (R21).
    public var issuer: String
    /// Where refreshes go, kept so a refresh needs no discovery.
    public var tokenEndpoint: URL
    /// Where logout revokes the grant (R27); `nil` when the server has none.
    public var revocationEndpoint: URL?
    /// The issuer's PAR endpoint, kept for a re-login without discovery.
    public var pushedAuthorizationRequestEndpoint: URL?
    /// The issuer's authorization endpoint, kept for a re-login without discovery.
    public var authorizationEndpoint: URL?
    /// The client id the grant was issued to; refreshes must present the same one.
    public var clientID: String
    /// The redirect URI used at login, for the record (refreshes do not send it).
    public var redirectURI: String?
    /// The scope actually granted (R20: partial grants are stored as granted), verbatim: it
    /// is written to the session file as the server's exact string (`scope.rawValue`) and
    /// `scope.scopes` is the parsed view for display. Files that stored the canonical string
    /// load unchanged; decoding, like a grant, never fails on a form this build doesn't know.
    public var scope: ScopeSet
    /// Secret.
    public var accessToken: String
    /// Secret; single-use and rotating (R24).
    public var refreshToken: String?
    /// When the access token expires, counted from when the token request was sent.
    public var expiresAt: Date
    /// The DPoP private key (R17). Secret.
    public var dpopKey: JWK
    /// Latest DPoP nonce per server origin (`https://host[:port]`), AS and PDS separately (R23).
    public var dpopNonces: [String: String]
    /// When the login completed.
    public var createdAt: Date
    /// When tokens were last refreshed; `nil` before the first refresh.
    public var refreshedAt: Date?
    /// Set when a refresh was refused (`invalid_grant`) or the issuer changed: the file is kept
    /// so the account stays listed, but it needs a new login.
    public var needsLogin: Bool
    /// Set on the moving copy while `SessionStoreMover` moves the session to another store
    /// (the destination's description): a move killed half-way leaves it, and until the move
    /// is run again this copy is never used, so the session is never live in two stores (R24).
    public var movingTo: String?

    enum CodingKeys: String, CodingKey {
        case version, did, handle, pds, issuer
        case tokenEndpoint = "token_endpoint"
        case revocationEndpoint = "revocation_endpoint"
        case pushedAuthorizationRequestEndpoint = "pushed_authorization_request_endpoint"
        case authorizationEndpoint = "authorization_endpoint"
        case clientID = "client_id"
        case redirectURI = "redirect_uri"
        case scope
        case accessToken = "access_token"
        case refreshToken = "refresh_token"
        case expiresAt = "expires_at"
        case dpopKey = "dpop_key"
        case dpopNonces = "dpop_nonces"
        case createdAt = "created_at"
        case refreshedAt = "refreshed_at"
        case needsLogin = "needs_login"
        case movingTo = "moving_to"
    }

    /// Builds a session from its parts (a login or a test); secrets go in as given.
    public init(
        did: DID, handle: Handle?, pds: URL, issuer: String, tokenEndpoint: URL, revocationEndpoint: URL?,
        pushedAuthorizationRequestEndpoint: URL?, authorizationEndpoint: URL?, clientID: String, redirectURI: String?,
        scope: ScopeSet, accessToken: String, refreshToken: String?, expiresAt: Date, dpopKey: JWK,
        dpopNonces: [String: String] = [:], createdAt: Date, refreshedAt: Date? = nil, needsLogin: Bool = false,
        version: Int = Session.currentVersion
    ) {
        self.version = version
        self.did = did
        self.handle = handle
        self.pds = pds
        self.issuer = issuer
        self.tokenEndpoint = tokenEndpoint
        self.revocationEndpoint = revocationEndpoint
        self.pushedAuthorizationRequestEndpoint = pushedAuthorizationRequestEndpoint
        self.authorizationEndpoint = authorizationEndpoint
        self.clientID = clientID
        self.redirectURI = redirectURI
        self.scope = scope
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresAt = expiresAt
        self.dpopKey = dpopKey
        self.dpopNonces = dpopNonces
        self.createdAt = createdAt
        self.refreshedAt = refreshedAt
        self.needsLogin = needsLogin
    }

    /// Decodes the session file's members; a missing `dpop_nonces` or `needs_login` takes its
    /// default, so older files of the same version still load.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decode(Int.self, forKey: .version)
        did = try c.decode(DID.self, forKey: .did)
        handle = try c.decodeIfPresent(Handle.self, forKey: .handle)
        pds = try c.decode(URL.self, forKey: .pds)
        issuer = try c.decode(String.self, forKey: .issuer)
        tokenEndpoint = try c.decode(URL.self, forKey: .tokenEndpoint)
        revocationEndpoint = try c.decodeIfPresent(URL.self, forKey: .revocationEndpoint)
        pushedAuthorizationRequestEndpoint = try c.decodeIfPresent(
            URL.self, forKey: .pushedAuthorizationRequestEndpoint)
        authorizationEndpoint = try c.decodeIfPresent(URL.self, forKey: .authorizationEndpoint)
        clientID = try c.decode(String.self, forKey: .clientID)
        redirectURI = try c.decodeIfPresent(String.self, forKey: .redirectURI)
        scope = try c.decode(ScopeSet.self, forKey: .scope)
        accessToken = try c.decode(String.self, forKey: .accessToken)
        refreshToken = try c.decodeIfPresent(String.self, forKey: .refreshToken)
        expiresAt = try c.decode(Date.self, forKey: .expiresAt)
        dpopKey = try c.decode(JWK.self, forKey: .dpopKey)
        dpopNonces = try c.decodeIfPresent([String: String].self, forKey: .dpopNonces) ?? [:]
        createdAt = try c.decode(Date.self, forKey: .createdAt)
        refreshedAt = try c.decodeIfPresent(Date.self, forKey: .refreshedAt)
        needsLogin = try c.decodeIfPresent(Bool.self, forKey: .needsLogin) ?? false
        movingTo = try c.decodeIfPresent(String.self, forKey: .movingTo)
    }

    /// Whether the access token expires within `interval` of `now` (or already has).
    public func accessTokenExpires(within interval: TimeInterval, now: Date) -> Bool {
        expiresAt.timeIntervalSince(now) <= interval
    }

    /// When a token response omits `expires_in`, assume this short lifetime so the client
    /// refreshes early rather than using a dead token (R26: real lifetimes are under 30 min).
    public static let assumedAccessTokenLifetime: TimeInterval = 300

    /// The session after a validated token response (login or refresh): new tokens, granted
    /// scope, expiry from `expires_in`, `refreshedAt = now`, `needsLogin` cleared. A response
    /// without a refresh token keeps the old one (it fails at the next refresh, which then
    /// asks for a new login, rather than losing the account now).
    public func applying(_ token: ValidatedToken, now: Date) -> Session {
        var next = self
        next.accessToken = token.accessToken
        if let refreshToken = token.refreshToken { next.refreshToken = refreshToken }
        next.scope = token.scope
        next.expiresAt = now.addingTimeInterval(
            token.expiresIn.map(TimeInterval.init) ?? Self.assumedAccessTokenLifetime)
        next.refreshedAt = now
        next.needsLogin = false
        return next
    }

    /// Redacts the access token, the refresh token and the DPoP private key.
    public var description: String {
        "Session(did: \(did.rawValue), handle: \(handle?.rawValue ?? "none"), pds: \(pds.absoluteString), "
            + "issuer: \(issuer), scope: \(scope), expiresAt: \(Self.iso8601(expiresAt)), "
            + "needsLogin: \(needsLogin), accessToken: <redacted>, "
            + "refreshToken: \(refreshToken == nil ? "none" : "<redacted>"), dpopKey: <redacted>)"
    }

    /// The same redacted text as ``description``: no secret in a debugger or a log either.
    public var debugDescription: String { description }
}
