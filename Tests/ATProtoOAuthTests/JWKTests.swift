import Foundation
import Testing

@testable import ATProtoOAuth

@Suite("JWK and DPoP keys (R17, RFC 7638)")
struct JWKTests {
    static let rfc9449Key = JWK(
        kty: "EC", crv: "P-256", x: "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
        y: "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA")

    @Test("RFC 9449 §6.1 jkt vector")
    func rfc9449Thumbprint() throws {
        #expect(try Self.rfc9449Key.thumbprint() == "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I")
    }

    @Test("RFC 7638: thumbprint ignores optional members and d")
    func thumbprintIgnoresExtras() throws {
        var key = Self.rfc9449Key
        key.kid = "key-1"
        key.alg = "ES256"
        key.use = "sig"
        key.d = "AAAA"
        #expect(try key.thumbprint() == "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I")
    }

    @Test("thumbprint rejects non-EC keys and missing members")
    func thumbprintRejects() throws {
        let rsa = JWK(kty: "RSA")
        let error = try #require(throws: ATProtoOAuthError.self) { try rsa.thumbprint() }
        #expect(error.code == .invalidJWK)
        var missingY = Self.rfc9449Key
        missingY.y = nil
        let missing = try #require(throws: ATProtoOAuthError.self) { try missingY.thumbprint() }
        #expect(missing.field == "y")
    }

    @Test("decoding tolerates unknown members and keeps kid/alg/use")
    func decodesUnknownMembers() throws {
        let json = """
            {"kty":"EC","crv":"P-256","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
             "y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA","kid":"k1","alg":"ES256","use":"sig",
             "key_ops":["verify"],"x5c":[]}
            """
        let key = try JSONDecoder().decode(JWK.self, from: Data(json.utf8))
        #expect(key.kid == "k1")
        #expect(key.alg == "ES256")
        #expect(key.use == "sig")
        #expect(!key.isPrivate)
        #expect(try key.thumbprint() == "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I")
    }

    @Test("R17: generated keys are fresh P-256 keys with a public JWK without d")
    func generate() throws {
        let first = DPoPKey.generate()
        let second = DPoPKey.generate()
        #expect(first.thumbprint != second.thumbprint)
        #expect(first.privateJWK.isPrivate)
        #expect(!first.publicJWK.isPrivate)
        #expect(first.publicJWK == first.privateJWK.publicKey)
        #expect(first.publicJWK.kty == "EC")
        #expect(first.publicJWK.crv == "P-256")
        #expect(try first.publicJWK.thumbprint() == first.thumbprint)
        #expect(Base64URL.decode(try #require(first.privateJWK.d))?.count == 32)
    }

    @Test("R17: private JWK round trip keeps the thumbprint and signatures verify")
    func privateRoundTrip() throws {
        let key = DPoPKey.generate()
        let stored = try JSONEncoder().encode(key.privateJWK)
        let restored = try DPoPKey(privateJWK: try JSONDecoder().decode(JWK.self, from: stored))
        #expect(restored.thumbprint == key.thumbprint)
        #expect(restored.privateJWK == key.privateJWK)

        let message = Data("hello dpop".utf8)
        let signature = try restored.sign(message)
        #expect(signature.count == 64)
        let compact = try CompactJWS.signES256(
            header: ["alg": .string("ES256")], payload: ["a": .number(1)], key: restored)
        #expect(try CompactJWS(compact).verifyES256(with: key.publicJWK))
    }

    @Test("R17: a d that does not match x/y is rejected")
    func mismatchedD() throws {
        let one = DPoPKey.generate()
        let other = DPoPKey.generate()
        var mixed = one.privateJWK
        mixed.d = other.privateJWK.d
        let error = try #require(throws: ATProtoOAuthError.self) { try DPoPKey(privateJWK: mixed) }
        #expect(error.code == .invalidJWK)
        #expect(error.field == "d")
        #expect(!error.description.contains(try #require(other.privateJWK.d)))
    }

    @Test("R17: malformed private JWKs name the bad member")
    func malformedPrivate() throws {
        let good = DPoPKey.generate().privateJWK
        var cases: [(JWK, String)] = []
        var wrongKty = good
        wrongKty.kty = "RSA"
        cases.append((wrongKty, "kty"))
        var wrongCurve = good
        wrongCurve.crv = "P-384"
        cases.append((wrongCurve, "crv"))
        var shortX = good
        shortX.x = "AAAA"
        cases.append((shortX, "x"))
        var badY = good
        badY.y = "not base64url!"
        cases.append((badY, "y"))
        var noD = good
        noD.d = nil
        cases.append((noD, "d"))
        var zeroD = good
        zeroD.d = Base64URL.encode([UInt8](repeating: 0, count: 32))
        cases.append((zeroD, "d"))
        for (jwk, member) in cases {
            let error = try #require(throws: ATProtoOAuthError.self) { try DPoPKey(privateJWK: jwk) }
            #expect(error.code == .invalidJWK)
            #expect(error.field == member, "expected \(member), got \(error.field ?? "nil")")
        }
    }

    @Test("descriptions never contain d")
    func descriptionsHideD() throws {
        let key = DPoPKey.generate()
        let d = try #require(key.privateJWK.d)
        #expect(!key.description.contains(d))
        #expect(key.description == "DPoP key jkt=\(key.thumbprint)")
        #expect(!key.privateJWK.description.contains(d))
        #expect(key.privateJWK.description == "EC P-256 JWK (private) jkt=\(key.thumbprint)")
        #expect(key.publicJWK.description.contains("(public)"))
        #expect(!String(describing: key).contains(d))
        #expect(!"\(key.privateJWK)".contains(d))
    }
}
