import Foundation
import Testing

@testable import ATProtoOAuth

/// The byte-level base64url codec against the Foundation route it replaced (base64 plus
/// character replacement): the same text for every input, and the same answer for every
/// string, valid or not.
@Suite("Base64URL")
struct Base64URLTests {
    static func reference(encode bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func reference(decode string: String) -> Data? {
        guard
            string.utf8.allSatisfy({ byte in
                (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x5F
            }), string.utf8.count % 4 != 1
        else { return nil }
        var base64 = string.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        return Data(base64Encoded: base64)
    }

    @Test("RFC 4648 §10 vectors, unpadded, URL alphabet")
    func vectors() {
        let cases = [
            "": "", "f": "Zg", "fo": "Zm8", "foo": "Zm9v", "foob": "Zm9vYg", "fooba": "Zm9vYmE", "foobar": "Zm9vYmFy",
        ]
        for (plain, encoded) in cases {
            #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
            #expect(Base64URL.decode(encoded) == Data(plain.utf8))
        }
        #expect(Base64URL.encode([0xFB, 0xFF, 0xBF]) == "-_-_")
        for invalid in ["Zg==", "Zm9v+", "Zm9v/", "Z", "Zm9vY", "Zm 9v", "Zm9v\n", "é"] {
            #expect(Base64URL.decode(invalid) == nil, "\(invalid)")
        }
    }

    @Test("the same as the Foundation route for random bytes and random strings")
    func matchesFoundation() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            let encoded = Base64URL.encode(bytes)
            #expect(encoded == Self.reference(encode: bytes))
            #expect(Base64URL.decode(encoded) == Data(bytes))
        }
        let characters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=.")
        for _ in 0..<3000 {
            let length = Int.random(in: 0..<24, using: &generator)
            let string = String((0..<length).map { _ in characters.randomElement(using: &generator) ?? "A" })
            #expect(Base64URL.decode(string) == Self.reference(decode: string), "\(string)")
        }
    }
}
