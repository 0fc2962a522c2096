import Foundation
import Testing

@testable import ATProtoOAuth

@Suite("Metadata fuzzing: hostile JSON never crashes a decoder")
struct MetadataFuzzTests {
    static let fixtureNames = [
        "bsky-entryway-authorization-server", "indie-authorization-server", "indie-protected-resource",
        "morel-protected-resource", "smokesignal-client-metadata", "statusphere-client-metadata",
    ]

    static func seeds() throws -> [Data] {
        var seeds = try fixtureNames.map { try MetadataFixture.data($0) }
        seeds.append(
            Data(
                #"{"access_token":"a","token_type":"DPoP","expires_in":1800,"refresh_token":"r","scope":"atproto transition:generic","sub":"did:plc:ewvi7nxzyoun6zhxrhs64oiz"}"#
                    .utf8))
        seeds.append(try SessionTests.make().encoded())
        seeds.append(Data(#"{"error":"use_dpop_nonce","error_description":"x"}"#.utf8))
        return seeds
    }

    static func randomString(_ rng: inout SeededGenerator) -> String {
        let pool = [
            "", "atproto", "https://bsky.social", "http://127.0.0.1", "did:plc:ewvi7nxzyoun6zhxrhs64oiz", "DPoP",
            "none",
            "ES256", "\u{0}", "é\u{301}", "😀", String(repeating: "a", count: 300), "%zz", "../", "-1", "1e309",
        ]
        if Bool.random(using: &rng) { return pool.randomElement(using: &rng) ?? "" }
        let count = Int.random(in: 0...12, using: &rng)
        return String(
            String.UnicodeScalarView(
                (0..<count).compactMap { _ in Unicode.Scalar(UInt32.random(in: 0...0x2FF, using: &rng)) }))
    }

    static func randomValue(_ rng: inout SeededGenerator, depth: Int = 0) -> JSONValue {
        switch Int.random(in: 0...(depth > 2 ? 3 : 5), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .number([0, -1, 1.5, 1e300, -1e300, 3600, Double(Int.max)].randomElement(using: &rng) ?? 0)
        case 3: return .string(randomString(&rng))
        case 4: return .array((0..<Int.random(in: 0...3, using: &rng)).map { _ in randomValue(&rng, depth: depth + 1) })
        default:
            var object: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                object[randomString(&rng)] = randomValue(&rng, depth: depth + 1)
            }
            return .object(object)
        }
    }

    /// One mutated document: structured (drop keys, change types, nest) or byte-level
    /// (truncate, flip, splice random bytes), or wholly random.
    static func mutate(_ seed: Data, _ rng: inout SeededGenerator) -> Data {
        switch Int.random(in: 0...5, using: &rng) {
        case 0, 1:
            guard case .object(var object)? = try? JSONDecoder().decode(JSONValue.self, from: seed) else { return seed }
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                guard let key = object.keys.randomElement(using: &rng) else { break }
                if Bool.random(using: &rng) { object[key] = nil } else { object[key] = randomValue(&rng) }
            }
            if Int.random(in: 0...4, using: &rng) == 0 { object[randomString(&rng)] = randomValue(&rng) }
            return (try? JSONEncoder().encode(JSONValue.object(object))) ?? seed
        case 2:
            return seed.prefix(Int.random(in: 0...seed.count, using: &rng))
        case 3:
            var bytes = [UInt8](seed)
            for _ in 0..<Int.random(in: 1...8, using: &rng) where !bytes.isEmpty {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            return Data(bytes)
        case 4:
            var bytes = [UInt8](seed)
            let at = Int.random(in: 0...bytes.count, using: &rng)
            bytes.insert(
                contentsOf: (0..<Int.random(in: 1...16, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng)
                }, at: at)
            return Data(bytes)
        default:
            if Bool.random(using: &rng) {
                return Data(
                    (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
            }
            return (try? JSONEncoder().encode(randomValue(&rng))) ?? Data()
        }
    }

    /// Every entry point that reads outside JSON; only `ATProtoOAuthError` may come out.
    static func exercise(_ data: Data) -> Int {
        var thrownOther = 0
        func run(_ body: () throws -> Void) {
            do { try body() } catch is ATProtoOAuthError {} catch { thrownOther += 1 }
        }
        let issuer = MetadataFixture.url("https://bsky.social")
        run {
            let metadata = try ProtectedResourceMetadata.decode(data)
            _ = metadata.checks(pds: issuer, allowHTTPLoopback: Bool.random())
            _ = try metadata.authorizationServer()
        }
        run {
            let metadata = try AuthorizationServerMetadata.decode(data)
            _ = metadata.checks(issuer: issuer, allowHTTPLoopback: false)
            _ = metadata.checks(issuer: issuer, allowHTTPLoopback: true)
        }
        run {
            let metadata = try ClientMetadata.decode(data)
            _ = metadata.checks(clientID: issuer, fetchedResponse: MetadataFixture.jsonOK)
            _ = metadata.allowsRedirectURI("http://127.0.0.1:1234/")
        }
        run {
            let response = HTTPResponse(status: 200, body: data)
            _ = try TokenResponse.parse(response).validate(requestedScope: "atproto", expectedSubject: nil)
        }
        run { _ = try TokenResponse.parse(HTTPResponse(status: 400, body: data)) }
        run { _ = try PushedAuthorizationResponse.parse(HTTPResponse(status: 201, body: data)) }
        _ = DPoPNonce.isAuthorizationServerChallenge(HTTPResponse(status: 400, body: data))
        _ = OAuthErrorResponse.parse(HTTPResponse(status: 400, body: data))
        run { _ = try Session.decode(data) }
        let text = String(decoding: data.prefix(256), as: UTF8.self)
        _ = WWWAuthenticate.parse(text)
        _ = FormEncoding.decode(text)
        run { _ = try ClientMetadata.parseDevelopmentClientID("http://localhost?" + text) }
        return thrownOther
    }

    @Test("≥10,000 mutated and random documents: no crash, only ATProtoOAuthError")
    func fuzz() throws {
        let seeds = try Self.seeds()
        var rng = SeededGenerator(state: 0xA7_0A07)
        var other = 0
        var decodedSomething = 0
        for iteration in 0..<10_500 {
            let seed = seeds[iteration % seeds.count]
            let data = Self.mutate(seed, &rng)
            other += Self.exercise(data)
            if (try? AuthorizationServerMetadata.decode(data)) != nil { decodedSomething += 1 }
        }
        #expect(other == 0)
        // The mutations are not all fatal: some still decode, so the checks ran too.
        #expect(decodedSomething > 100)
        // The unmutated seeds still work.
        for seed in seeds { #expect(Self.exercise(seed) == 0) }
    }
}
