import ATProtoAccountStore
import ATProtoOAuth
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A fresh, empty store directory under the system temporary directory, removed by `cleanUp`.
struct TemporaryStore {
    let root: URL
    let store: AccountStore

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent(
            "accountstore-tests-\(UUID().uuidString)", isDirectory: true)
        store = try AccountStore(directory: root.appendingPathComponent("store", isDirectory: true))
    }

    func cleanUp() {
        try? FileManager.default.removeItem(at: root)
    }
}

/// Builds `Session` values with a fresh DPoP key; tokens are dummies (never sent anywhere).
enum SessionFactory {
    static func make(
        did: String, handle: String? = nil, accessToken: String = "access-token",
        refreshToken: String = "refresh-token",
        now: Date = Date(timeIntervalSince1970: 1_800_000_000)
    ) throws -> Session {
        let pds = try #require(URL(string: "https://pds.example.com"))
        let tokenEndpoint = try #require(URL(string: "https://auth.example.com/oauth/token"))
        return Session(
            did: try DID(did), handle: try handle.map(Handle.init), pds: pds, issuer: "https://auth.example.com",
            tokenEndpoint: tokenEndpoint, revocationEndpoint: nil, pushedAuthorizationRequestEndpoint: nil,
            authorizationEndpoint: nil, clientID: "http://localhost", redirectURI: "http://127.0.0.1/callback",
            scope: try ScopeSet("atproto transition:generic"), accessToken: accessToken, refreshToken: refreshToken,
            expiresAt: now.addingTimeInterval(900), dpopKey: DPoPKey.generate().privateJWK,
            dpopNonces: ["https://auth.example.com": "nonce-1"], createdAt: now)
    }
}

/// `stat` of a path: permission bits, or `nil` when it does not exist.
func permissions(of url: URL) -> UInt32? {
    var raw = stat()
    guard lstat(url.path, &raw) == 0 else { return nil }
    return UInt32(raw.st_mode) & 0o7777
}

func setPermissions(_ url: URL, _ mode: UInt32) {
    chmod(url.path, mode_t(mode))
}
