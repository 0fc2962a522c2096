import ATProtoAccountStore
import ATProtoOAuth
import Foundation

/// Fills an account store with synthetic but valid sessions (`make-store DIR N`), for the TUI
/// benchmarks: each has its own DPoP key and random tokens, and expiry times spread so that
/// countdowns tick and every state badge appears (ok, expiring, expired, needs login).
///
/// The servers named (`*.bench.example`) do not exist: nothing here may be refreshed.
enum StoreMaker {
    static func make(directory: URL, count: Int, now: Date) throws -> AccountStore {
        let store = try AccountStore(directory: directory)
        for index in 0..<count {
            try store.save(try session(index, now: now))
        }
        if count > 0 { try store.setDefault(try did(0)) }
        return store
    }

    /// `did:plc:` + 24 characters of the base32 alphabet, unique per index.
    static func did(_ index: Int) throws -> DID {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var rest = index
        var suffix = ""
        for _ in 0..<8 {
            suffix = String(alphabet[rest % 32]) + suffix
            rest /= 32
        }
        return try DID("did:plc:benchaccount2222" + suffix)
    }

    static func session(_ index: Int, now: Date) throws -> Session {
        let entryway = "https://entryway.bench.example"
        guard let pds = URL(string: "https://pds\(index % 7).bench.example"),
            let token = URL(string: entryway + "/oauth/token"),
            let revoke = URL(string: entryway + "/oauth/revoke"),
            let par = URL(string: entryway + "/oauth/par"),
            let authorize = URL(string: entryway + "/oauth/authorize")
        else { throw BenchError("cannot build the synthetic server URLs") }
        let expiresIn: TimeInterval
        switch index % 20 {
        case 0: expiresIn = -120  // expired
        case 1: expiresIn = 45  // expiring
        default: expiresIn = 120 + TimeInterval((index * 37) % 1_800)
        }
        let created = now.addingTimeInterval(-TimeInterval(index % 300) * 3_600)
        return Session(
            did: try did(index), handle: try Handle("user\(index).bench.test"), pds: pds, issuer: entryway,
            tokenEndpoint: token, revocationEndpoint: revoke, pushedAuthorizationRequestEndpoint: par,
            authorizationEndpoint: authorize,
            clientID: "http://localhost?redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback&scope=atproto",
            redirectURI: "http://127.0.0.1/callback", scope: try ScopeSet("atproto transition:generic"),
            accessToken: randomToken(), refreshToken: randomToken(), expiresAt: now.addingTimeInterval(expiresIn),
            dpopKey: DPoPKey.generate().privateJWK, dpopNonces: [entryway: randomToken()], createdAt: created,
            refreshedAt: index % 3 == 0 ? nil : now.addingTimeInterval(-300), needsLogin: index % 97 == 5)
    }

    private static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }
}
