import Foundation

/// What a client keeps locally between the PAR request and the callback (R16). None of it
/// travels inside `state`, which is only a random, single-use lookup key.
public struct AuthorizationRequestState: Codable, Sendable, CustomStringConvertible {
    /// The random `state` sent in the PAR request; the callback must echo it (R18).
    public var state: String
    /// The issuer the callback's `iss` must equal (R18, RFC 9207).
    public var issuer: String
    /// The PKCE verifier (R15). Secret.
    public var pkceVerifier: String
    /// The DPoP private key bound to this flow and the session it creates (R17). Secret.
    public var dpopKey: JWK
    /// The DID the flow started from, which the token's `sub` must equal (R21).
    public var expectedDID: DID?
    public var redirectURI: String
    public var clientID: String
    public var scope: String
    /// What the user typed, sent as `login_hint` (R7).
    public var loginHint: String?
    public var createdAt: Date

    public init(
        state: String, issuer: String, pkceVerifier: String, dpopKey: JWK, expectedDID: DID?, redirectURI: String,
        clientID: String, scope: String, loginHint: String? = nil, createdAt: Date
    ) {
        self.state = state
        self.issuer = issuer
        self.pkceVerifier = pkceVerifier
        self.dpopKey = dpopKey
        self.expectedDID = expectedDID
        self.redirectURI = redirectURI
        self.clientID = clientID
        self.scope = scope
        self.loginHint = loginHint
        self.createdAt = createdAt
    }

    /// A fresh random `state` value: 32 bytes from the system CSPRNG, base64url (R16).
    public static func randomState() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// Redacts the PKCE verifier and the DPoP private key.
    public var description: String {
        "AuthorizationRequestState(issuer: \(issuer), expectedDID: \(expectedDID?.rawValue ?? "none"), "
            + "redirectURI: \(redirectURI), clientID: \(clientID), scope: \(scope), "
            + "pkceVerifier: <redacted>, dpopKey: <redacted>)"
    }
}
