import ATProtoOAuth
import Foundation

extension Session {
    /// A logged-in session for tests, without a login: tokens `access-1` / `refresh-1` by
    /// default, a fresh DPoP key, and the endpoints ``ScriptedTransport/routeIdentity(did:handle:pds:issuer:plcDirectory:)``
    /// and the dev network publish under `issuer` (`/oauth/token`, `/oauth/revoke`,
    /// `/oauth/par`, `/oauth/authorize`). Put it in an `InMemorySessionStore` and script the
    /// token endpoint to test refresh, requests and logout.
    ///
    /// ```swift
    /// let session = try Session.testSession(
    ///     did: "did:plc:ewvi7nxzyoun6zhxrhs64oiz", pds: URL(string: "https://pds.example.com")!,
    ///     issuer: URL(string: "https://as.example.com")!)
    /// let store = InMemorySessionStore([session])
    /// ```
    ///
    /// - Parameters:
    ///   - expiresAt: when the access token expires; by default an hour after `now`.
    ///   - now: the session's creation time (pass the clock the code under test uses).
    /// - Throws: when `did`, `handle` or `scope` is not valid.
    public static func testSession(
        did: String, handle: String? = nil, pds: URL, issuer: URL, accessToken: String = "access-1",
        refreshToken: String? = "refresh-1", expiresAt: Date? = nil, scope: String = "atproto transition:generic",
        clientID: String = "http://localhost", dpopKey: DPoPKey = .generate(), now: Date = Date()
    ) throws -> Session {
        let issuerOrigin = ScriptedTransport.origin(issuer)
        func endpoint(_ path: String) throws -> URL {
            guard let url = URL(string: issuerOrigin + path) else {
                throw ScriptedTransportError("cannot form \(path) under \(issuerOrigin)")
            }
            return url
        }
        return Session(
            did: try DID(did), handle: try handle.map { try Handle($0) }, pds: pds, issuer: issuerOrigin,
            tokenEndpoint: try endpoint("/oauth/token"), revocationEndpoint: try endpoint("/oauth/revoke"),
            pushedAuthorizationRequestEndpoint: try endpoint("/oauth/par"),
            authorizationEndpoint: try endpoint("/oauth/authorize"), clientID: clientID,
            redirectURI: nil, scope: try ScopeSet(granted: scope), accessToken: accessToken, refreshToken: refreshToken,
            expiresAt: expiresAt ?? now.addingTimeInterval(3600), dpopKey: dpopKey.privateJWK, createdAt: now)
    }
}
