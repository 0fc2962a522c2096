import Crypto
import Foundation

/// A PKCE pair (RFC 7636) using S256 only: `plain` would hand the verifier to anyone who
/// sees the authorization request (R15).
///
/// Create a fresh one per authorization request; keep the verifier locally (never inside
/// `state`, R16) and send it only in the token request.
public struct PKCE: Sendable, CustomStringConvertible {
    /// The only method this client ever uses (R15).
    public static let method = "S256"

    /// 43–128 characters from the unreserved set `[A-Za-z0-9-._~]` (RFC 7636 §4.1). Secret.
    public let verifier: String
    /// `base64url(SHA-256(ASCII(verifier)))`, sent in the PAR request.
    public let challenge: String

    /// A fresh pair: 32 bytes from the system CSPRNG, base64url-encoded into a 43-character
    /// verifier (the RFC 7636 §7.1 recommendation: 256 bits of entropy).
    public init() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let verifier = Base64URL.encode(bytes)
        self.verifier = verifier
        self.challenge = Self.challenge(for: verifier)
    }

    /// Restores a pair from a stored verifier, checking it is one RFC 7636 allows.
    public init(verifier: String) throws {
        let count = verifier.utf8.count
        guard (43...128).contains(count) else {
            throw ATProtoOAuthError(
                .crypto, rule: "R15", field: "code_verifier", "must be 43–128 characters long, got \(count)")
        }
        guard verifier.utf8.allSatisfy(Self.isUnreserved) else {
            throw ATProtoOAuthError(
                .crypto, rule: "R15", field: "code_verifier", "may only contain A–Z, a–z, 0–9, '-', '.', '_', '~'")
        }
        self.verifier = verifier
        self.challenge = Self.challenge(for: verifier)
    }

    /// The S256 challenge of a verifier (RFC 7636 §4.2).
    public static func challenge(for verifier: String) -> String {
        Base64URL.encode(SHA256.hash(data: Data(verifier.utf8)))
    }

    /// Shows the challenge only: the verifier is the secret that proves possession.
    public var description: String { "PKCE(S256, challenge=\(challenge))" }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
            || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
    }
}
