import Foundation
import Testing

@testable import ATProtoOAuth

/// Helpers shared by the JWS and DPoP suites.
enum JWSTestSupport {
    static func segment(_ json: String) -> String { Base64URL.encode(Data(json.utf8)) }

    /// DER `SEQUENCE { INTEGER r, INTEGER s }` from a raw 64-byte signature.
    static func der(fromRaw raw: Data) -> Data {
        func integer(_ bytes: Data) -> [UInt8] {
            var value = Array(bytes.drop(while: { $0 == 0 }))
            if value.isEmpty { value = [0] }
            if let first = value.first, first & 0x80 != 0 { value.insert(0, at: 0) }
            return [0x02, UInt8(value.count)] + value
        }
        let body = integer(raw.prefix(32)) + integer(raw.dropFirst(32))
        return Data([0x30, UInt8(body.count)] + body)
    }
}

@Suite("Compact JWS (R22)")
struct JWSTests {
    let key = DPoPKey.generate()

    @Test("signES256 round trips, with sorted members and no whitespace")
    func signAndParse() throws {
        let compact = try CompactJWS.signES256(
            header: ["typ": .string("x"), "alg": .string("ES256")],
            payload: ["z": .number(1_700_000_000), "a": .string("a/b\"c"), "m": .array([.bool(true), .null])],
            key: key)
        let parts = compact.split(separator: ".").map(String.init)
        #expect(parts.count == 3)
        #expect(Base64URL.decode(parts[0]).map { String(decoding: $0, as: UTF8.self) } == #"{"alg":"ES256","typ":"x"}"#)
        #expect(
            Base64URL.decode(parts[1]).map { String(decoding: $0, as: UTF8.self) }
                == #"{"a":"a/b\"c","m":[true,null],"z":1700000000}"#)
        let jws = try CompactJWS(compact)
        #expect(jws.header["alg"] == .string("ES256"))
        #expect(jws.payload["z"] == .number(1_700_000_000))
        #expect(jws.signature.count == 64)
        #expect(jws.signingInput == Data("\(parts[0]).\(parts[1])".utf8))
        #expect(jws.verifyES256(with: key.publicJWK))
        #expect(!jws.verifyES256(with: DPoPKey.generate().publicJWK))
    }

    @Test("compact JSON escapes control characters and round trips any string")
    func escapesStrings() throws {
        let tricky = "quote\" backslash\\ newline\n tab\t nul\u{0} bell\u{7} é 😀 </script>"
        let compact = try CompactJWS.signES256(
            header: ["alg": .string("ES256")], payload: ["s": .string(tricky), "f": .number(0.5)], key: key)
        let jws = try CompactJWS(compact)
        #expect(jws.payload["s"] == .string(tricky))
        #expect(jws.payload["f"] == .number(0.5))
    }

    @Test("verifyES256 refuses DER and wrongly sized signatures")
    func refusesDER() throws {
        let compact = try CompactJWS.signES256(header: ["alg": .string("ES256")], payload: [:], key: key)
        let parts = compact.split(separator: ".").map(String.init)
        let raw = try #require(Base64URL.decode(parts[2]))
        let der = JWSTestSupport.der(fromRaw: raw)
        #expect(der.count > 64)
        let derCompact = "\(parts[0]).\(parts[1]).\(Base64URL.encode(der))"
        #expect(!(try CompactJWS(derCompact)).verifyES256(with: key.publicJWK))
        let short = "\(parts[0]).\(parts[1]).\(Base64URL.encode(raw.prefix(63)))"
        #expect(!(try CompactJWS(short)).verifyES256(with: key.publicJWK))
        let empty = "\(parts[0]).\(parts[1])."
        #expect(!(try CompactJWS(empty)).verifyES256(with: key.publicJWK))
    }

    @Test("verifyES256 refuses non-P-256 keys")
    func refusesWrongKey() throws {
        let compact = try CompactJWS.signES256(header: ["alg": .string("ES256")], payload: [:], key: key)
        let jws = try CompactJWS(compact)
        var other = key.publicJWK
        other.crv = "P-384"
        #expect(!jws.verifyES256(with: other))
        #expect(!jws.verifyES256(with: JWK(kty: "oct")))
    }

    @Test(
        "parse errors name the segment",
        arguments: [
            ("a.b", "compact"), ("a.b.c.d", "compact"), ("", "compact"),
            ("e30=.e30.", "header"), ("!!.e30.", "header"), ("W10.e30.", "header"), ("bnVsbA.e30.", "header"),
            ("e30.IjEi.", "payload"), ("e30..", "payload"), ("e30.e30.+/", "signature"),
        ])
    func namesSegment(compact: String, segment: String) throws {
        let error = try #require(throws: ATProtoOAuthError.self) { try CompactJWS(compact) }
        #expect(error.code == .invalidJWS)
        #expect(error.field == segment)
    }

    @Test("non-canonical base64url (stray trailing bits) is refused")
    func refusesNonCanonical() throws {
        // "e30" is {} ; "e31" decodes to the same bytes with a non-zero pad bit.
        #expect(throws: Never.self) { try CompactJWS("e30.e30.") }
        #expect(Base64URL.decode("e31") == Base64URL.decode("e30"))
        let error = try #require(throws: ATProtoOAuthError.self) { try CompactJWS("e31.e30.") }
        #expect(error.field == "header")
    }

    @Test("absurdly long input is refused before decoding")
    func refusesHuge() throws {
        let huge = String(repeating: "A", count: CompactJWS.maxLength + 1)
        let error = try #require(throws: ATProtoOAuthError.self) { try CompactJWS(huge) }
        #expect(error.field == "compact")
    }
}
