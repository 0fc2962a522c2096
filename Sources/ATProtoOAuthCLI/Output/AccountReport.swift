import ATProtoOAuth
import Foundation

/// One account as `accounts`, `status`, `login` and `refresh` report it. Never holds a secret.
struct AccountReport: Codable, Sendable {
    var handle: String?
    var did: String
    var pds: String
    var issuer: String
    var clientID: String
    var scope: String
    var isDefault: Bool
    var state: SessionHealth
    var accessTokenExpiresAt: Date
    var accessTokenExpiresInSeconds: Int
    var createdAt: Date
    var refreshedAt: Date?
    var sessionAgeSeconds: Int
    /// R26: 14 days from the original login for public clients.
    var refreshTokenExpiresAtEstimate: Date
    var dpopKeyThumbprint: String

    init(_ session: Session, isDefault: Bool, now: Date) {
        self.init(SessionSummary(session), isDefault: isDefault, now: now)
    }

    init(_ summary: SessionSummary, isDefault: Bool, now: Date) {
        handle = summary.handle?.rawValue
        did = summary.did.rawValue
        pds = summary.pds.absoluteString
        issuer = summary.issuer
        clientID = summary.clientID
        scope = summary.scope
        self.isDefault = isDefault
        state = summary.health(now: now)
        accessTokenExpiresAt = summary.expiresAt
        accessTokenExpiresInSeconds = Int(summary.expiresAt.timeIntervalSince(now).rounded())
        createdAt = summary.createdAt
        refreshedAt = summary.refreshedAt
        sessionAgeSeconds = Int(now.timeIntervalSince(summary.createdAt).rounded())
        refreshTokenExpiresAtEstimate = summary.refreshTokenExpiryEstimate
        dpopKeyThumbprint = summary.dpopThumbprint
    }

    var name: String { handle ?? did }

    /// The multi-line block `status` prints per account.
    func statusBlock(now: Date) -> String {
        let refreshed = refreshedAt.map { "\(Terminal.timestamp($0)) (\(Terminal.relative($0, now: now)))" } ?? "never"
        return """
            \(isDefault ? "* " : "  ")\(name)  [\(state.rawValue)]
                did:                \(did)
                pds:                \(pds)
                issuer:             \(issuer)
                scope:              \(scope)
                access token:       expires \(Terminal.timestamp(accessTokenExpiresAt)) (\(Terminal.relative(accessTokenExpiresAt, now: now)))
                session age:        \(Terminal.duration(max(0, sessionAgeSeconds))) (since \(Terminal.timestamp(createdAt)))
                last refresh:       \(refreshed)
                refresh token:      expected to end \(Terminal.timestamp(refreshTokenExpiresAtEstimate)) (\(Terminal.relative(refreshTokenExpiresAtEstimate, now: now)); 14-day public-client limit, R26)
                DPoP key (jkt):     \(dpopKeyThumbprint)
                client:             \(clientID.hasPrefix("http://localhost") ? "localhost development client (R13)" : clientID)
            """
    }

    /// The one line `accounts` prints per account.
    func listLine(now: Date) -> String {
        let marker = isDefault ? "*" : " "
        let expiry =
            state == .needsLogin ? "needs login" : "token \(Terminal.relative(accessTokenExpiresAt, now: now))"
        return
            "\(marker) \(name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(did)  \(state.rawValue)  \(expiry)"
    }
}

/// A stored file that could not be read, reported without hiding the other accounts.
struct StoreProblemReport: Codable, Sendable {
    var file: String
    var reason: String
}
