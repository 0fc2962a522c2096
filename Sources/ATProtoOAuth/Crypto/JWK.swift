import Crypto
import Foundation

/// A JSON Web Key (RFC 7517), as far as this client needs: EC P-256 keys for DPoP.
///
/// Unknown members are ignored on decoding; `kid`, `alg` and `use` are kept because other
/// parties put them in keys they publish. The private scalar `d` is present only in the
/// session file's copy and never printed.
public struct JWK: Codable, Hashable, Sendable, CustomStringConvertible {
    /// The key type; `EC` for every key this client makes.
    public var kty: String
    /// The curve of an EC key; `P-256` for DPoP here.
    public var crv: String?
    /// The EC public point's x coordinate, base64url.
    public var x: String?
    /// The EC public point's y coordinate, base64url.
    public var y: String?
    /// The private scalar; `nil` for a public key. Secret.
    public var d: String?
    /// A key identifier, kept when another party's key carries one.
    public var kid: String?
    /// The algorithm the key is meant for, kept when present.
    public var alg: String?
    /// The intended use (`sig`), kept when present.
    public var use: String?

    /// Builds a key from its members as they appear in JSON (base64url strings).
    public init(
        kty: String, crv: String? = nil, x: String? = nil, y: String? = nil, d: String? = nil,
        kid: String? = nil, alg: String? = nil, use: String? = nil
    ) {
        self.kty = kty
        self.crv = crv
        self.x = x
        self.y = y
        self.d = d
        self.kid = kid
        self.alg = alg
        self.use = use
    }

    /// The same key without private members, safe to publish or embed in a DPoP proof.
    public var publicKey: JWK {
        var copy = self
        copy.d = nil
        return copy
    }

    /// Whether the key holds the private scalar — and so must never be printed or published.
    public var isPrivate: Bool { d != nil }

    /// The RFC 7638 thumbprint (`jkt`): SHA-256 over the required members `crv`, `kty`, `x`,
    /// `y` in lexicographic order without whitespace, base64url-encoded. Only EC keys are
    /// supported, since that is all DPoP here uses.
    public func thumbprint() throws -> String {
        guard kty == "EC" else {
            throw ATProtoOAuthError(
                .invalidJWK, field: "kty", "thumbprints are only computed for EC keys, not '\(kty)'")
        }
        guard let crv else { throw ATProtoOAuthError(.invalidJWK, field: "crv", "missing") }
        guard let x else { throw ATProtoOAuthError(.invalidJWK, field: "x", "missing") }
        guard let y else { throw ATProtoOAuthError(.invalidJWK, field: "y", "missing") }
        let canonical = try CompactJSON.serialize([
            "crv": .string(crv), "kty": .string(kty), "x": .string(x), "y": .string(y),
        ])
        return Base64URL.encode(SHA256.hash(data: Data(canonical.utf8)))
    }

    /// Names the key by type and thumbprint; never prints `d`.
    public var description: String {
        let curve = crv.map { " \($0)" } ?? ""
        let kind = isPrivate ? "private" : "public"
        let jkt = (try? thumbprint()) ?? "?"
        return "\(kty)\(curve) JWK (\(kind)) jkt=\(jkt)"
    }
}

extension JWK {
    /// The members RFC 7638 and RFC 9449 need in a proof header: `kty`, `crv`, `x`, `y` only.
    var minimalPublicJSON: [String: JSONValue] {
        var object: [String: JSONValue] = ["kty": .string(kty)]
        if let crv { object["crv"] = .string(crv) }
        if let x { object["x"] = .string(x) }
        if let y { object["y"] = .string(y) }
        return object
    }

    /// Reads a JWK out of a loosely parsed JSON object (a JWS header member). Every member
    /// this type models must be a string when present.
    init(jsonObject object: [String: JSONValue]) throws {
        func member(_ name: String) throws -> String? {
            guard let value = object[name] else { return nil }
            guard let text = value.stringValue else {
                throw ATProtoOAuthError(.invalidJWK, field: name, "must be a string")
            }
            return text
        }
        guard let kty = try member("kty") else { throw ATProtoOAuthError(.invalidJWK, field: "kty", "missing") }
        self.init(
            kty: kty, crv: try member("crv"), x: try member("x"), y: try member("y"), d: try member("d"),
            kid: try member("kid"), alg: try member("alg"), use: try member("use"))
    }

    /// The P-256 public key this JWK describes, checking `kty`, `crv` and coordinate lengths.
    func p256PublicKey() throws -> P256.Signing.PublicKey {
        guard kty == "EC" else { throw ATProtoOAuthError(.invalidJWK, field: "kty", "must be EC, got '\(kty)'") }
        guard crv == "P-256" else {
            throw ATProtoOAuthError(.invalidJWK, field: "crv", "must be P-256, got '\(crv ?? "nothing")'")
        }
        let xBytes = try Self.coordinate(x, member: "x")
        let yBytes = try Self.coordinate(y, member: "y")
        do {
            return try P256.Signing.PublicKey(x963Representation: [0x04] + xBytes + yBytes)
        } catch {
            throw ATProtoOAuthError(.invalidJWK, field: "x", "x/y is not a point on P-256")
        }
    }

    /// Decodes a 32-byte base64url member (`x`, `y` or `d` of a P-256 key).
    static func coordinate(_ value: String?, member: String) throws -> [UInt8] {
        guard let value else { throw ATProtoOAuthError(.invalidJWK, field: member, "missing") }
        guard let bytes = Base64URL.decode(value) else {
            throw ATProtoOAuthError(.invalidJWK, field: member, "is not unpadded base64url")
        }
        guard bytes.count == 32 else {
            throw ATProtoOAuthError(.invalidJWK, field: member, "must decode to 32 bytes, got \(bytes.count)")
        }
        return Array(bytes)
    }
}
