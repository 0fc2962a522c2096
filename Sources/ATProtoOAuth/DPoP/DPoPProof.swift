import Crypto
import Foundation

/// DPoP proofs (RFC 9449, R22): a fresh ES256-signed JWT per HTTP request, binding the
/// request's method and URL (and, for resource requests, the access token) to the
/// session's key.
public enum DPoPProof {
    /// Builds a proof for one request.
    ///
    /// - Parameters:
    ///   - nonce: the server's latest `DPoP-Nonce` (R23), once known.
    ///   - accessToken: set for resource-server requests; adds `ath` (R22).
    ///   - now: the caller's clock (the core never reads the time itself).
    ///   - jti: unique per proof; the default draws 128 bits from the CSPRNG.
    public static func make(
        key: DPoPKey, method: String, url: URL, nonce: String?, accessToken: String?, now: Date,
        jti: String = DPoPProof.makeJTI()
    ) throws -> String {
        let htm = method.uppercased()
        guard !htm.isEmpty, htm.utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) else {
            throw ATProtoOAuthError(.invalidJWS, rule: "R22", field: "htm", "HTTP method must be letters only")
        }
        guard let origin = url.originString else {
            throw ATProtoOAuthError(.invalidURL, rule: "R22", field: "htu", "request URL has no scheme or host")
        }
        // The claims in sorted order (what CompactJSON's sorting would give), written directly.
        var claims: [(String, JSONValue)] = []
        if let accessToken { claims.append(("ath", .string(accessTokenHash(accessToken)))) }
        claims.append(("htm", .string(htm)))
        claims.append(("htu", .string(htu(origin: origin, url: url))))
        // Whole seconds: RFC 7519 NumericDate, and servers reject fractions.
        claims.append(("iat", .number(now.timeIntervalSince1970.rounded(.down))))
        claims.append(("jti", .string(jti)))
        if let nonce { claims.append(("nonce", .string(nonce))) }
        return try CompactJWS.signES256(
            headerSegment: key.proofHeaderSegment, payloadJSON: try CompactJSON.serialize(orderedMembers: claims),
            key: key)
    }

    /// The `htu` for a request URL: scheme and host lower-cased, default port dropped, path
    /// as sent (empty becomes `/`), query and fragment stripped (RFC 9449 §4.2–4.3).
    /// Credentials are dropped too: they never belong in a proof.
    public static func htu(for url: URL) -> String {
        guard let origin = url.originString else { return url.absoluteString }
        return htu(origin: origin, url: url)
    }

    private static func htu(origin: String, url: URL) -> String {
        let path = url.path(percentEncoded: true)
        return origin + (path.isEmpty ? "/" : path)
    }

    /// `ath`: base64url(SHA-256(ASCII access token)) (RFC 9449 §4.2).
    public static func accessTokenHash(_ accessToken: String) -> String {
        Base64URL.encode(SHA256.hash(data: Data(accessToken.utf8)))
    }

    /// A new `jti`: 16 bytes (128 bits) from the system CSPRNG, base64url (22 characters).
    public static func makeJTI() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        for _ in 0..<2 {  // two 64-bit draws, not sixteen 8-bit ones: one getrandom(2) each
            withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) }
        }
        return Base64URL.encode(bytes)
    }

    static let typ = "dpop+jwt"
    static let alg = "ES256"
}
