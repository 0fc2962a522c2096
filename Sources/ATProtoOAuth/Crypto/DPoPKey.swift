import Crypto
import Foundation

/// The ES256 key a session binds its tokens to (RFC 9449). Generate a fresh one per login
/// session (R17); persist `privateJWK` with the session so refreshes keep the binding.
public struct DPoPKey: Sendable, CustomStringConvertible {
    private let signingKey: P256.Signing.PrivateKey
    /// The full key, including `d`, for the session file only. Secret.
    public let privateJWK: JWK
    /// `kty`, `crv`, `x`, `y`: what goes into every proof header.
    public let publicJWK: JWK
    /// The RFC 7638 thumbprint (`jkt`) the server binds tokens to.
    public let thumbprint: String
    /// Every proof's header (`typ`, `alg`, the public `jwk`), encoded once: it never changes.
    let proofHeaderSegment: String

    /// A new key from the system CSPRNG (R17).
    public static func generate() -> DPoPKey {
        DPoPKey(signingKey: P256.Signing.PrivateKey())
    }

    private init(signingKey: P256.Signing.PrivateKey) {
        let point = signingKey.publicKey.x963Representation  // 0x04 ‖ x ‖ y
        let x = Base64URL.encode(point.dropFirst().prefix(32))
        let y = Base64URL.encode(point.dropFirst(33))
        let d = Base64URL.encode(signingKey.rawRepresentation)
        self.signingKey = signingKey
        self.publicJWK = JWK(kty: "EC", crv: "P-256", x: x, y: y)
        self.privateJWK = JWK(kty: "EC", crv: "P-256", x: x, y: y, d: d)
        // A P-256 JWK built from its own key always has every thumbprint member.
        self.thumbprint = (try? publicJWK.thumbprint()) ?? ""
        // Strings and a JWK of strings always serialise.
        self.proofHeaderSegment =
            (try? CompactJWS.segment([
                "typ": .string(DPoPProof.typ), "alg": .string(DPoPProof.alg),
                "jwk": .object(publicJWK.minimalPublicJSON),
            ])) ?? ""
    }

    /// Restores a key from the session file, checking it is an EC P-256 private key whose
    /// `d` really belongs to `x`/`y` (a mismatched file would produce proofs no server accepts).
    public init(privateJWK jwk: JWK) throws {
        let publicKey = try jwk.p256PublicKey()
        let scalar = try JWK.coordinate(jwk.d, member: "d")
        let signingKey: P256.Signing.PrivateKey
        do {
            signingKey = try P256.Signing.PrivateKey(rawRepresentation: scalar)
        } catch {
            throw ATProtoOAuthError(.invalidJWK, rule: "R17", field: "d", "is not a valid P-256 private scalar")
        }
        guard signingKey.publicKey.x963Representation == publicKey.x963Representation else {
            throw ATProtoOAuthError(.invalidJWK, rule: "R17", field: "d", "does not belong to the public key x/y")
        }
        self.init(signingKey: signingKey)
    }

    /// ES256 over `data`: the 64-byte raw `r ‖ s` form JWS uses (RFC 7518 §3.4), not DER.
    public func sign(_ data: Data) throws -> Data {
        do {
            return try signingKey.signature(for: data).rawRepresentation
        } catch {
            throw ATProtoOAuthError(.crypto, rule: "R22", field: "signature", "ES256 signing failed")
        }
    }

    /// The thumbprint only: the private key never leaves through logs.
    public var description: String { "DPoP key jkt=\(thumbprint)" }
}
