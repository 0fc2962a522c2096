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
        guard url.originString != nil else {
            throw ATProtoOAuthError(.invalidURL, rule: "R22", field: "htu", "request URL has no scheme or host")
        }
        let header: [String: JSONValue] = [
            "typ": .string(typ),
            "alg": .string(alg),
            "jwk": .object(key.publicJWK.minimalPublicJSON),
        ]
        var claims: [String: JSONValue] = [
            "jti": .string(jti),
            "htm": .string(htm),
            "htu": .string(htu(for: url)),
            // Whole seconds: RFC 7519 NumericDate, and servers reject fractions.
            "iat": .number(now.timeIntervalSince1970.rounded(.down)),
        ]
        if let nonce { claims["nonce"] = .string(nonce) }
        if let accessToken { claims["ath"] = .string(accessTokenHash(accessToken)) }
        return try CompactJWS.signES256(header: header, payload: claims, key: key)
    }

    /// The `htu` for a request URL: scheme and host lower-cased, default port dropped, path
    /// as sent (empty becomes `/`), query and fragment stripped (RFC 9449 §4.2–4.3).
    /// Credentials are dropped too: they never belong in a proof.
    public static func htu(for url: URL) -> String {
        guard let origin = url.originString else { return url.absoluteString }
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
        return Base64URL.encode((0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    static let typ = "dpop+jwt"
    static let alg = "ES256"
}
