import Foundation
import Testing

@testable import ATProtoOAuth

@Suite("DPoP proofs (R22)")
struct DPoPProofTests {
    let key = DPoPKey.generate()
    let now = Date(timeIntervalSince1970: 1_700_000_000.75)

    private func makeProof(
        method: String = "POST", url: String = "https://as.example.com/oauth/token?x=1#frag",
        nonce: String? = nil, accessToken: String? = nil, jti: String = "jti-1"
    ) throws -> String {
        try DPoPProof.make(
            key: key, method: method, url: try #require(URL(string: url)), nonce: nonce, accessToken: accessToken,
            now: now, jti: jti)
    }

    /// A proof with arbitrary header and claims, signed by `key` (or a given raw signature).
    private func forge(header: [String: JSONValue], claims: [String: JSONValue]) throws -> String {
        try CompactJWS.signES256(header: header, payload: claims, key: key)
    }

    private var goodHeader: [String: JSONValue] {
        ["typ": .string("dpop+jwt"), "alg": .string("ES256"), "jwk": .object(key.publicJWK.minimalPublicJSON)]
    }

    private let goodClaims: [String: JSONValue] = [
        "jti": .string("j"), "htm": .string("GET"), "htu": .string("https://pds.example.com/x"),
        "iat": .number(1_700_000_000),
    ]

    @Test("header and claims are the canonical compact JSON (sorted keys), with or without nonce and ath")
    func canonicalSegments() throws {
        for (nonce, token) in [(nil, nil), ("n\"1", nil), (nil, "tok"), ("nonce-2", "tok")] as [(String?, String?)] {
            let parts = try makeProof(nonce: nonce, accessToken: token).split(separator: ".").map(String.init)
            try #require(parts.count == 3)
            for segment in parts.prefix(2) {
                let json = try #require(Base64URL.decode(segment))
                let object = try #require(try JSONDecoder().decode(JSONValue.self, from: json).objectValue)
                #expect(String(decoding: json, as: UTF8.self) == (try CompactJSON.serialize(object)))
            }
        }
    }

    private func expectRejected(_ compact: String, field: String, sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        let error = try #require(throws: ATProtoOAuthError.self, sourceLocation: sourceLocation) {
            try DPoPProof.verify(compact)
        }
        #expect(error.code == .invalidJWS, sourceLocation: sourceLocation)
        #expect(error.rule == "R22", sourceLocation: sourceLocation)
        #expect(error.field == field, "got \(error)", sourceLocation: sourceLocation)
    }

    @Test("R22: header is exactly typ, alg and the public jwk (kty, crv, x, y)")
    func headerExact() throws {
        let jws = try CompactJWS(try makeProof())
        #expect(Set(jws.header.keys) == ["typ", "alg", "jwk"])
        #expect(jws.header["typ"] == .string("dpop+jwt"))
        #expect(jws.header["alg"] == .string("ES256"))
        let jwk = try #require(jws.header["jwk"]?.objectValue)
        #expect(Set(jwk.keys) == ["kty", "crv", "x", "y"])
        #expect(jwk["kty"] == .string("EC"))
        #expect(jwk["crv"] == .string("P-256"))
        #expect(jwk["x"] == key.publicJWK.x.map(JSONValue.string))
        #expect(jwk["y"] == key.publicJWK.y.map(JSONValue.string))
        #expect(jws.verifyES256(with: key.publicJWK))
    }

    @Test("R22: claims are jti, htm, htu, iat; nonce and ath only when given")
    func claimsExact() throws {
        let bare = try CompactJWS(try makeProof(method: "post"))
        #expect(Set(bare.payload.keys) == ["jti", "htm", "htu", "iat"])
        #expect(bare.payload["jti"] == .string("jti-1"))
        #expect(bare.payload["htm"] == .string("POST"))
        #expect(bare.payload["htu"] == .string("https://as.example.com/oauth/token"))
        #expect(bare.payload["iat"] == .number(1_700_000_000))

        let full = try CompactJWS(try makeProof(method: "GET", nonce: "n-1", accessToken: "tok"))
        #expect(Set(full.payload.keys) == ["jti", "htm", "htu", "iat", "nonce", "ath"])
        #expect(full.payload["nonce"] == .string("n-1"))
        #expect(full.payload["ath"] == .string(DPoPProof.accessTokenHash("tok")))
    }

    @Test("R22: iat is written as a JSON integer")
    func iatInteger() throws {
        let proof = try makeProof()
        let payload = try #require(Base64URL.decode(String(proof.split(separator: ".")[1])))
        let text = String(decoding: payload, as: UTF8.self)
        #expect(text.contains(#""iat":1700000000,"#) || text.contains(#""iat":1700000000}"#))
        #expect(!text.contains("1700000000."))
        #expect(try DPoPProof.verify(proof).iat == 1_700_000_000)
    }

    @Test("RFC 9449 §7.1 ath vector")
    func athVector() {
        #expect(
            DPoPProof.accessTokenHash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU")
                == "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo")
    }

    @Test(
        "R22: htu strips query and fragment and normalises scheme, host and port",
        arguments: [
            (
                "https://PDS.Example.com/xrpc/app.bsky.actor.getProfile?actor=did%3Aplc%3Aabc#top",
                "https://pds.example.com/xrpc/app.bsky.actor.getProfile"
            ),
            ("HTTPS://as.example.com:443/oauth/par", "https://as.example.com/oauth/par"),
            ("http://127.0.0.1:8080/oauth/token?", "http://127.0.0.1:8080/oauth/token"),
            ("http://[::1]:80/cb#x", "http://[::1]/cb"),
            ("https://example.com", "https://example.com/"),
            ("https://example.com?q=1", "https://example.com/"),
            ("https://example.com/a%20b/c", "https://example.com/a%20b/c"),
        ])
    func htu(input: String, expected: String) throws {
        #expect(DPoPProof.htu(for: try #require(URL(string: input))) == expected)
    }

    @Test("R22: two jtis differ and carry at least 128 random bits")
    func jtiUnique() throws {
        let first = DPoPProof.makeJTI()
        let second = DPoPProof.makeJTI()
        #expect(first != second)
        #expect(try #require(Base64URL.decode(first)).count >= 16)
    }

    @Test("R22: default jti differs between proofs")
    func defaultJTI() throws {
        let url = try #require(URL(string: "https://pds.example.com/xrpc/x"))
        let a = try DPoPProof.verify(
            try DPoPProof.make(key: key, method: "GET", url: url, nonce: nil, accessToken: nil, now: now))
        let b = try DPoPProof.verify(
            try DPoPProof.make(key: key, method: "GET", url: url, nonce: nil, accessToken: nil, now: now))
        #expect(a.jti != b.jti)
    }

    @Test("R22: verify accepts our proofs and reports every claim")
    func verifyGood() throws {
        let verified = try DPoPProof.verify(try makeProof(nonce: "nonce-7", accessToken: "tok"))
        #expect(verified.jwk == key.publicJWK)
        #expect(verified.jkt == key.thumbprint)
        #expect(verified.jti == "jti-1")
        #expect(verified.htm == "POST")
        #expect(verified.htu == "https://as.example.com/oauth/token")
        #expect(verified.iat == 1_700_000_000)
        #expect(verified.nonce == "nonce-7")
        #expect(verified.ath == DPoPProof.accessTokenHash("tok"))
        let bare = try DPoPProof.verify(try makeProof())
        #expect(bare.nonce == nil)
        #expect(bare.ath == nil)
    }

    @Test("R22: verify rejects a wrong typ")
    func rejectsTyp() throws {
        var header = goodHeader
        header["typ"] = .string("JWT")
        try expectRejected(try forge(header: header, claims: goodClaims), field: "typ")
        header["typ"] = nil
        try expectRejected(try forge(header: header, claims: goodClaims), field: "typ")
    }

    @Test("R22: verify rejects alg none and HS256", arguments: ["none", "HS256", "RS256", "ES384"])
    func rejectsAlg(alg: String) throws {
        var header = goodHeader
        header["alg"] = .string(alg)
        try expectRejected(try forge(header: header, claims: goodClaims), field: "alg")
        // An unsigned "none" token, as an attacker would send it.
        let unsigned =
            JWSTestSupport.segment(#"{"alg":"\#(alg)","typ":"dpop+jwt"}"#) + "."
            + JWSTestSupport.segment(#"{"jti":"j","htm":"GET","htu":"https://x/","iat":1}"#) + "."
        try expectRejected(unsigned, field: "alg")
    }

    @Test("R22: verify rejects a missing or malformed jwk")
    func rejectsMissingJWK() throws {
        var header = goodHeader
        header["jwk"] = nil
        try expectRejected(try forge(header: header, claims: goodClaims), field: "jwk")
        header["jwk"] = .string("not an object")
        try expectRejected(try forge(header: header, claims: goodClaims), field: "jwk")
        var wrongCurve = key.publicJWK.minimalPublicJSON
        wrongCurve["crv"] = .string("P-384")
        header["jwk"] = .object(wrongCurve)
        try expectRejected(try forge(header: header, claims: goodClaims), field: "jwk")
    }

    @Test("R22: verify rejects a private jwk in the header")
    func rejectsPrivateJWK() throws {
        var header = goodHeader
        var jwk = key.publicJWK.minimalPublicJSON
        jwk["d"] = key.privateJWK.d.map(JSONValue.string)
        header["jwk"] = .object(jwk)
        let proof = try forge(header: header, claims: goodClaims)
        try expectRejected(proof, field: "jwk")
        let error = try #require(throws: ATProtoOAuthError.self) { try DPoPProof.verify(proof) }
        #expect(!error.description.contains(try #require(key.privateJWK.d)))
    }

    @Test("R22: verify rejects a jwk that is not the signer")
    func rejectsOtherKey() throws {
        var header = goodHeader
        header["jwk"] = .object(DPoPKey.generate().publicJWK.minimalPublicJSON)
        try expectRejected(try forge(header: header, claims: goodClaims), field: "signature")
    }

    @Test("R22: verify rejects a tampered payload")
    func rejectsTamperedPayload() throws {
        let parts = try makeProof().split(separator: ".").map(String.init)
        var claims = try CompactJWS(parts.joined(separator: ".")).payload
        claims["htu"] = .string("https://evil.example.com/")
        let tampered = [parts[0], Base64URL.encode(Data(try CompactJSON.serialize(claims).utf8)), parts[2]]
        try expectRejected(tampered.joined(separator: "."), field: "signature")
    }

    @Test("R22: verify rejects a tampered signature")
    func rejectsTamperedSignature() throws {
        let parts = try makeProof().split(separator: ".").map(String.init)
        var signature = try #require(Base64URL.decode(parts[2]))
        signature[10] ^= 0x01
        try expectRejected("\(parts[0]).\(parts[1]).\(Base64URL.encode(signature))", field: "signature")
    }

    @Test("R22: verify rejects a DER-encoded signature")
    func rejectsDER() throws {
        let parts = try makeProof().split(separator: ".").map(String.init)
        let der = JWSTestSupport.der(fromRaw: try #require(Base64URL.decode(parts[2])))
        try expectRejected("\(parts[0]).\(parts[1]).\(Base64URL.encode(der))", field: "signature")
    }

    @Test("R22: verify rejects missing or mistyped claims", arguments: ["jti", "htm", "htu", "iat"])
    func rejectsClaims(name: String) throws {
        var claims = goodClaims
        claims[name] = nil
        try expectRejected(try forge(header: goodHeader, claims: claims), field: name)
        claims[name] = name == "iat" ? .string("1700000000") : .number(1)
        try expectRejected(try forge(header: goodHeader, claims: claims), field: name)
    }

    @Test("R22: verify rejects a fractional iat and non-string nonce/ath")
    func rejectsFractionalIat() throws {
        var claims = goodClaims
        claims["iat"] = .number(1_700_000_000.5)
        try expectRejected(try forge(header: goodHeader, claims: claims), field: "iat")
        claims = goodClaims
        claims["nonce"] = .number(3)
        try expectRejected(try forge(header: goodHeader, claims: claims), field: "nonce")
        claims = goodClaims
        claims["ath"] = .bool(true)
        try expectRejected(try forge(header: goodHeader, claims: claims), field: "ath")
    }

    @Test("R22: verify reports malformed compact strings under R22")
    func rejectsMalformed() throws {
        try expectRejected("not a jws", field: "compact")
        try expectRejected("e30.e30", field: "compact")
    }

    @Test("R22: make refuses a method that is not a token and a URL without host")
    func makeRejects() throws {
        let url = try #require(URL(string: "https://x.example/"))
        #expect(throws: ATProtoOAuthError.self) {
            try DPoPProof.make(key: key, method: "GE T", url: url, nonce: nil, accessToken: nil, now: now)
        }
        #expect(throws: ATProtoOAuthError.self) {
            try DPoPProof.make(key: key, method: "", url: url, nonce: nil, accessToken: nil, now: now)
        }
        #expect(throws: ATProtoOAuthError.self) {
            try DPoPProof.make(
                key: key, method: "GET", url: try #require(URL(string: "/relative")), nonce: nil, accessToken: nil,
                now: now)
        }
    }

    @Test("proofs and verified results never contain d or the access token")
    func noSecrets() throws {
        let token = "secret-access-token-value"
        let proof = try makeProof(accessToken: token)
        let d = try #require(key.privateJWK.d)
        let decoded = proof.split(separator: ".").prefix(2).compactMap { Base64URL.decode(String($0)) }
            .map { String(decoding: $0, as: UTF8.self) }.joined()
        #expect(!decoded.contains(d))
        #expect(!decoded.contains(token))
        #expect(!"\(try DPoPProof.verify(proof))".contains(d))
    }
}
