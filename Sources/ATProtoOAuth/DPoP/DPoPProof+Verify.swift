import Foundation

extension DPoPProof {
    /// What a structurally valid proof says. Callers still judge the values.
    public struct Verified: Sendable, Hashable {
        /// The embedded public key (`kty`, `crv`, `x`, `y`).
        public let jwk: JWK
        /// Its RFC 7638 thumbprint, to compare with the token's `cnf.jkt`.
        public let jkt: String
        /// The proof's unique id, for replay detection.
        public let jti: String
        /// The HTTP method the proof was made for.
        public let htm: String
        /// The URL (without query and fragment) the proof was made for.
        public let htu: String
        /// When the proof was made, in seconds since 1970, to judge its freshness.
        public let iat: Int
        /// The server nonce the client echoed, if any.
        public let nonce: String?
        /// The access-token hash (base64url SHA-256), present on resource requests.
        public let ath: String?
    }

    /// Server-side structural verification, as the dev server does it: `typ` is `dpop+jwt`,
    /// `alg` is `ES256`, `jwk` is a public EC P-256 key (a `d` is refused: a client that
    /// leaks its private key must hear about it), the signature verifies under that key,
    /// `jti`/`htm`/`htu` are strings and `iat` an integer; `nonce`/`ath` strings if present.
    ///
    /// It does not compare `htm`/`htu` with the request, check the `iat` window, the nonce
    /// or replay: those need the caller's clock and state.
    public static func verify(_ compact: String) throws -> Verified {
        let jws: CompactJWS
        do {
            jws = try CompactJWS(compact)
        } catch let error as ATProtoOAuthError {
            throw ATProtoOAuthError(.invalidJWS, rule: "R22", field: error.field, error.reason)
        }
        let header = jws.header
        guard header["typ"]?.stringValue == typ else { throw failure("typ", "must be \"\(typ)\"") }
        guard header["alg"]?.stringValue == alg else { throw failure("alg", "must be \"\(alg)\"") }
        guard let jwkObject = header["jwk"]?.objectValue else { throw failure("jwk", "missing or not an object") }
        guard jwkObject["d"] == nil else { throw failure("jwk", "contains the private key member \"d\"") }
        let embedded: JWK
        do {
            embedded = try JWK(jsonObject: jwkObject)
            _ = try embedded.p256PublicKey()
        } catch let error as ATProtoOAuthError {
            throw failure("jwk", "\(error.field.map { "\($0) " } ?? "")\(error.reason)")
        }
        let jwk = JWK(kty: embedded.kty, crv: embedded.crv, x: embedded.x, y: embedded.y)
        guard jws.verifyES256(with: jwk) else { throw failure("signature", "does not verify under the embedded jwk") }

        let claims = jws.payload
        let jti = try string(claims, "jti")
        guard !jti.isEmpty else { throw failure("jti", "must not be empty") }
        let htm = try string(claims, "htm")
        let htu = try string(claims, "htu")
        guard let iatNumber = claims["iat"]?.numberValue, iatNumber == iatNumber.rounded(),
            abs(iatNumber) <= CompactJSON.maxExactInteger
        else { throw failure("iat", "missing or not an integer") }
        return Verified(
            jwk: jwk, jkt: try jwk.thumbprint(), jti: jti, htm: htm, htu: htu, iat: Int(iatNumber),
            nonce: try optionalString(claims, "nonce"), ath: try optionalString(claims, "ath"))
    }

    private static func failure(_ field: String, _ reason: String) -> ATProtoOAuthError {
        ATProtoOAuthError(.invalidJWS, rule: "R22", field: field, reason)
    }

    private static func string(_ claims: [String: JSONValue], _ name: String) throws -> String {
        guard let value = claims[name]?.stringValue else { throw failure(name, "missing or not a string") }
        return value
    }

    private static func optionalString(_ claims: [String: JSONValue], _ name: String) throws -> String? {
        guard let value = claims[name] else { return nil }
        guard let text = value.stringValue else { throw failure(name, "must be a string") }
        return text
    }
}
