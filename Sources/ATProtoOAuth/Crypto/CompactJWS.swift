import Crypto
import Foundation

/// A JWS in compact serialization (RFC 7515 §7.1): `header.payload.signature`, each
/// unpadded base64url, header and payload JSON objects.
///
/// Parsing is strict so that one proof has exactly one spelling: non-canonical base64url
/// (stray trailing bits) is refused, and so is anything that is not three segments.
public struct CompactJWS: Sendable {
    /// Proofs and assertions are a few hundred bytes; refuse absurd inputs before decoding.
    public static let maxLength = 64 * 1024

    /// The decoded protected header (`typ`, `alg`, `jwk` for a DPoP proof).
    public let header: [String: JSONValue]
    /// The decoded claims.
    public let payload: [String: JSONValue]
    /// The ASCII bytes `segment0.segment1` the signature covers.
    public let signingInput: Data
    /// The raw signature bytes (for ES256, `r‖s`, 64 bytes).
    public let signature: Data

    /// Splits and decodes `compact`; throws `.invalidJWS` for anything but three canonical
    /// base64url segments of which the first two are JSON objects. The signature is not checked.
    public init(_ compact: String) throws {
        guard compact.utf8.count <= Self.maxLength else {
            throw ATProtoOAuthError(.invalidJWS, field: "compact", "longer than \(Self.maxLength) bytes")
        }
        let segments = compact.split(separator: ".", omittingEmptySubsequences: false)
        guard segments.count == 3 else {
            throw ATProtoOAuthError(
                .invalidJWS, field: "compact", "must have 3 dot-separated segments, got \(segments.count)")
        }
        self.header = try Self.object(String(segments[0]), segment: "header")
        self.payload = try Self.object(String(segments[1]), segment: "payload")
        self.signature = try Self.bytes(String(segments[2]), segment: "signature")
        self.signingInput = Data("\(segments[0]).\(segments[1])".utf8)
    }

    /// Checks an ES256 signature (raw 64-byte `r ‖ s`) under an EC P-256 public JWK.
    /// Returns false for DER-encoded or wrongly sized signatures and for unusable keys.
    public func verifyES256(with jwk: JWK) -> Bool {
        guard signature.count == 64, let publicKey = try? jwk.p256PublicKey(),
            let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: signature)
        else { return false }
        return publicKey.isValidSignature(ecdsa, for: signingInput)
    }

    /// Signs header and payload with ES256, writing both as compact JSON with sorted
    /// members, so the same inputs always give the same signing input.
    public static func signES256(
        header: [String: JSONValue], payload: [String: JSONValue], key: DPoPKey
    ) throws -> String {
        try signES256(headerSegment: try segment(header), payloadJSON: try CompactJSON.serialize(payload), key: key)
    }

    /// The base64url segment of a JSON object (header or payload).
    static func segment(_ object: [String: JSONValue]) throws -> String {
        Base64URL.encode(Array(try CompactJSON.serialize(object).utf8))
    }

    /// As ``signES256(header:payload:key:)`` with the header already encoded: a DPoP key's
    /// proof header never changes, so it is encoded once per key.
    static func signES256(headerSegment: String, payloadJSON: String, key: DPoPKey) throws -> String {
        let signingInput = headerSegment + "." + Base64URL.encode(Array(payloadJSON.utf8))
        let signature = try key.sign(Data(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature)
    }

    private static func bytes(_ segment: String, segment name: String) throws -> Data {
        guard let data = Base64URL.decode(segment), Base64URL.encode(data) == segment else {
            throw ATProtoOAuthError(.invalidJWS, field: name, "is not canonical unpadded base64url")
        }
        return data
    }

    private static func object(_ segment: String, segment name: String) throws -> [String: JSONValue] {
        let data = try bytes(segment, segment: name)
        guard let object = (try? JSONDecoder().decode(JSONValue.self, from: data))?.objectValue else {
            throw ATProtoOAuthError(.invalidJWS, field: name, "is not a JSON object")
        }
        return object
    }
}
