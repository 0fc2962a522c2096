import Foundation

/// A pushed authorization request (RFC 9126), waiting at the authorization endpoint.
struct PushedRequest: Sendable {
    let issuer: DevPart
    let clientID: String
    let clientName: String?
    let redirectURI: String
    let scope: String
    let state: String
    let codeChallenge: String
    let loginHint: String?
    /// The DPoP key of the PAR request: the token request must use the same one.
    let jkt: String
    let expiresAt: Date
    var used = false
}

/// An issued authorization code and what it was issued for.
struct CodeGrant: Sendable {
    let request: PushedRequest
    let account: DevAccount
    let expiresAt: Date
    var used = false
    /// The session the code was exchanged for: revoked if the code is replayed.
    var sessionID: String?
}

/// A login: one client, one account, one DPoP key, until revoked or expired (R24, R26).
struct DevSession: Sendable {
    let id: String
    let account: DevAccount
    let issuer: DevPart
    let clientID: String
    let scope: String
    let jkt: String
    let expiresAt: Date
    var revoked = false
}

struct AccessTokenRecord: Sendable {
    let sessionID: String
    let expiresAt: Date
}

struct RefreshTokenRecord: Sendable {
    let sessionID: String
    var used = false
}
