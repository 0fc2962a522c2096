import Foundation
import Testing

@testable import ATProtoOAuth

@Suite("JWS parser fuzz (R22)")
struct JWSFuzzTests {
    static let iterations = 12_000
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    static let noise = Array("ABCXYZabcxyz019-_.=+/ \"{}[]:,\\%\u{0}\u{7F}éλ😀\n")

    @Test("R22: 12,000 random and mutated compact strings never crash and never verify when changed")
    func fuzz() throws {
        let seed = UInt64.random(in: .min ... .max)
        var rng = SeededGenerator(state: seed)
        let key = DPoPKey.generate()
        let url = try #require(URL(string: "https://pds.example.com/xrpc/com.atproto.server.getSession?x=1"))
        var valid: [String] = []
        for index in 0..<8 {
            valid.append(
                try DPoPProof.make(
                    key: key, method: ["GET", "POST"][index % 2], url: url, nonce: index % 3 == 0 ? "n\(index)" : nil,
                    accessToken: index % 2 == 0 ? "token\(index)" : nil, now: Date(timeIntervalSince1970: 1_700_000_000)
                ))
        }
        for proof in valid { _ = try DPoPProof.verify(proof) }

        var accepted = 0
        var parsed = 0
        for iteration in 0..<Self.iterations {
            let original = valid[Int.random(in: 0..<valid.count, using: &rng)]
            let candidate = iteration % 5 == 0 ? Self.randomCompact(&rng) : Self.mutate(original, &rng)
            if (try? CompactJWS(candidate)) != nil { parsed += 1 }
            if (try? DPoPProof.verify(candidate)) != nil {
                accepted += 1
                // A changed string must never verify: strict base64url gives each proof one spelling.
                #expect(valid.contains(candidate), "seed \(seed): accepted a mutated proof: \(candidate)")
            }
        }
        #expect(parsed > 0, "seed \(seed): fuzzing never produced a parseable JWS")
        _ = accepted
    }

    // MARK: - Generators

    static func randomSegment(_ rng: inout SeededGenerator) -> String {
        let length = Int.random(in: 0..<60, using: &rng)
        return String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] })
    }

    static func randomJSON(_ rng: inout SeededGenerator, depth: Int = 0) -> String {
        let choice = Int.random(in: 0..<(depth > 3 ? 5 : 8), using: &rng)
        switch choice {
        case 0: return "null"
        case 1: return Bool.random(using: &rng) ? "true" : "false"
        case 2: return String(Int.random(in: -1_000_000...1_000_000, using: &rng))
        case 3: return "\(Double.random(in: -1e20...1e20, using: &rng))"
        case 4: return "\"\(randomSegment(&rng))\""
        case 5:
            let items = (0..<Int.random(in: 0..<4, using: &rng)).map { _ in randomJSON(&rng, depth: depth + 1) }
            return "[" + items.joined(separator: ",") + "]"
        default:
            let keys = ["typ", "alg", "jwk", "jti", "htm", "htu", "iat", "nonce", "ath", "kty", "crv", "x", "y", "d"]
            let members = (0..<Int.random(in: 0..<6, using: &rng)).map { _ in
                "\"\(keys[Int.random(in: 0..<keys.count, using: &rng)])\":" + randomJSON(&rng, depth: depth + 1)
            }
            return "{" + members.joined(separator: ",") + "}"
        }
    }

    static func randomCompact(_ rng: inout SeededGenerator) -> String {
        let count = Int.random(in: 0..<5, using: &rng)
        return (0..<count).map { _ in
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: randomSegment(&rng)
            case 1: Base64URL.encode(Data(randomJSON(&rng).utf8))
            default:
                Base64URL.encode(Data(#"{"typ":"dpop+jwt","alg":"ES256","jwk":\#(randomJSON(&rng))}"#.utf8))
            }
        }.joined(separator: ".")
    }

    static func mutate(_ proof: String, _ rng: inout SeededGenerator) -> String {
        var segments = proof.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        switch Int.random(in: 0..<8, using: &rng) {
        case 0, 1:  // flip one or a few characters anywhere
            var characters = Array(proof)
            for _ in 0..<Int.random(in: 1...3, using: &rng) where !characters.isEmpty {
                characters[Int.random(in: 0..<characters.count, using: &rng)] =
                    noise[Int.random(in: 0..<noise.count, using: &rng)]
            }
            return String(characters)
        case 2:  // drop a segment
            segments.remove(at: Int.random(in: 0..<segments.count, using: &rng))
        case 3:  // duplicate a segment
            let index = Int.random(in: 0..<segments.count, using: &rng)
            segments.insert(segments[index], at: index)
        case 4:  // replace a segment with random base64url
            segments[Int.random(in: 0..<segments.count, using: &rng)] = randomSegment(&rng)
        case 5:  // replace header or payload with random JSON
            segments[Int.random(in: 0..<2, using: &rng)] = Base64URL.encode(Data(randomJSON(&rng).utf8))
        case 6:  // truncate
            return String(proof.prefix(Int.random(in: 0..<proof.count, using: &rng)))
        default:  // swap segments around
            segments.shuffle(using: &rng)
            if segments == proof.split(separator: ".", omittingEmptySubsequences: false).map(String.init) {
                segments.reverse()
            }
        }
        return segments.joined(separator: ".")
    }
}
