import ATProtoOAuth
import CFuzzDriver
import Foundation

/// The dev network's side of DPoP: compact JWS parsing and proof verification. Random
/// bytes never carry a valid signature, so the first byte picks a mode:
/// - 0: the rest is a compact JWS, verified as a DPoP proof;
/// - 1: the rest is the claims (a JSON object), signed with a fixed key under a valid
///   header, so verification reaches the claim checks;
/// - 2: the rest is the header (a JSON object), signed with the fixed key, so verification
///   reaches the `typ`/`alg`/`jwk` checks with any embedded key.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDPoP(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes, count > 0 else { return 0 }
    let mode = bytes[0] % 3
    let rest = Data(bytes: bytes + 1, count: count - 1)
    let compact: String
    switch mode {
    case 0:
        compact = String(decoding: rest, as: UTF8.self)
        if let jws = try? CompactJWS(compact) {
            _ = jws.verifyES256(with: FixedKey.key.publicJWK)
        }
    default:
        guard let object = (try? JSONValue.parse(rest, source: "fuzz"))?.objectValue else { return 0 }
        let header: [String: JSONValue] = mode == 1 ? FixedKey.header : object
        let claims: [String: JSONValue] = mode == 1 ? object : FixedKey.claims
        guard let signed = try? CompactJWS.signES256(header: header, payload: claims, key: FixedKey.key) else {
            return 0
        }
        compact = signed
    }
    if let verified = try? DPoPProof.verify(compact) {
        precondition(!verified.jti.isEmpty, "a verified proof has an empty jti")
        _ = try? verified.jwk.thumbprint()
    }
    return 0
}

enum FixedKey {
    static let key = DPoPKey.generate()
    static let header: [String: JSONValue] = [
        "typ": .string("dpop+jwt"), "alg": .string("ES256"),
        "jwk": .object([
            "kty": .string("EC"), "crv": .string("P-256"),
            "x": .string(key.publicJWK.x ?? ""), "y": .string(key.publicJWK.y ?? ""),
        ]),
    ]
    static let claims: [String: JSONValue] = [
        "jti": .string("fuzz"), "htm": .string("POST"), "htu": .string("https://bsky.social/oauth/token"),
        "iat": .number(1_700_000_000),
    ]
}

/// `main` (SwiftPM aliases it to `FuzzDPoP_main`): runs libFuzzer with the arguments given.
@_cdecl("FuzzDPoP_main")
public func fuzzDPoPMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { fuzzDPoP($0, $1) }
}
