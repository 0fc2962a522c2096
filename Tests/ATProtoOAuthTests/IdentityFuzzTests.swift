import Foundation
import Testing

@testable import ATProtoOAuth

/// Feeds random and mutated strings to every parser of this module: none may crash, and
/// every accepted value must round-trip through its printed form (R2, R4, R1, R5, R6, R28).
@Suite("Identity and scope fuzzing (R1, R2, R4–R6, R28)")
struct IdentityFuzzTests {
    /// Interesting scalars: syntax characters, whitespace, controls, non-ASCII and lookalikes.
    static let alphabet: [Unicode.Scalar] = Array(
        "abcXYZ019.-_:%#?&=/*@+ \t\n\r\0\u{7F}\u{85}\u{A0}\u{E9}\u{131}\u{200B}\u{FEFF}\u{1F600}\u{FF0E}\u{0301}\"\\{}[],"
            .unicodeScalars)

    static let scopeSeeds = [
        "atproto", "transition:generic", "transition:chat.bsky", "transition:email", "repo:app.bsky.feed.post",
        "repo?collection=a.b.c&action=create", "rpc:app.bsky.feed.getFeed?aud=did:web:api.bsky.app%23bsky_appview",
        "rpc:*?aud=did:plc:abc%23x", "blob:image/*", "blob?accept=image/png&accept=video/*", "account:email",
        "account:repo?action=manage", "identity:handle", "identity:*",
        "include:app.bsky.authFullApp?aud=did:web:x.com%23y",
    ]

    static let documentSeed = """
        {"id":"did:plc:7iza6de2dwap2sbkpav7c6c6","alsoKnownAs":["at://alice.example.com"],\
        "service":[{"id":"#atproto_pds","type":"AtprotoPersonalDataServer","serviceEndpoint":"https://pds.example.com"}]}
        """

    static func mutate(_ input: String, using rng: inout SeededGenerator) -> String {
        var scalars = Array(input.unicodeScalars)
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let scalar =
                Bool.random(using: &rng)
                ? (alphabet.randomElement(using: &rng) ?? "a")
                : (Unicode.Scalar(UInt32.random(in: 0...0x2FF, using: &rng)) ?? "a")
            let position = Int.random(in: 0...scalars.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: scalars.insert(scalar, at: position)
            case 1 where position < scalars.count: scalars.remove(at: position)
            case 2 where position < scalars.count: scalars[position] = scalar
            default:  // duplicate a slice, which grows lengths past the limits
                let end = min(scalars.count, position + Int.random(in: 0...80, using: &rng))
                scalars.insert(contentsOf: scalars[position..<end], at: position)
            }
        }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars)
        return String(out)
    }

    static func random(using rng: inout SeededGenerator) -> String {
        var out = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...40, using: &rng) {
            out.append(alphabet.randomElement(using: &rng) ?? "a")
        }
        return String(out)
    }

    static func loadSeeds() throws -> [String] {
        var seeds =
            scopeSeeds + ["@alice.test", "at://did:plc:abc", "https://pds.example.com", "http://127.0.0.1:8080/"]
        for name in ["handle_syntax_valid", "did_syntax_valid", "nsid_syntax_valid", "atidentifier_syntax_valid"] {
            seeds += try identityVectors(name)
        }
        return seeds
    }

    /// Every parser; returns how many inputs were accepted by at least one.
    static func exercise(_ input: String) throws -> Bool {
        var accepted = false
        if let handle = try? Handle(input) {
            accepted = true
            #expect(try Handle(handle.rawValue) == handle, "\(input.debugDescription)")
            _ = handle.isResolvable
        }
        if let did = try? DID(input) {
            accepted = true
            #expect(try DID(did.rawValue) == did, "\(input.debugDescription)")
            _ = try? did.webDocumentURL(allowLocalhostPort: true)
            if let directory = URL(string: "https://plc.directory") { _ = did.plcDocumentURL(directory: directory) }
        }
        if let identifier = try? ATIdentifier(input) {
            #expect(try ATIdentifier(identifier.description) == identifier, "\(input.debugDescription)")
        }
        if let nsid = try? NSID(input) {
            accepted = true
            #expect(try NSID(nsid.rawValue) == nsid, "\(input.debugDescription)")
        }
        for allowHTTP in [false, true] {
            if let login = try? LoginInput(input, allowHTTPLoopback: allowHTTP) {
                accepted = true
                #expect(try LoginInput(login.typed, allowHTTPLoopback: allowHTTP) == login, "\(input.debugDescription)")
            }
        }
        if let scope = try? OAuthScope(input) {
            accepted = true
            let reparsed = try OAuthScope(scope.description)
            #expect(reparsed == scope, "\(input.debugDescription)")
            #expect(reparsed.description == scope.description, "\(input.debugDescription)")
        }
        if let set = try? ScopeSet(input) {
            #expect(try ScopeSet(set.description) == set, "\(input.debugDescription)")
        }
        return accepted
    }

    @Test("No parser crashes on 12,000 random and mutated strings; accepted values round-trip")
    func strings() throws {
        var rng = SeededGenerator(state: 0x0A7B_0A07_2026)
        let seeds = try Self.loadSeeds()
        var acceptedCount = 0
        for iteration in 0..<12_000 {
            let input: String
            if iteration % 4 == 0 {
                input = Self.random(using: &rng)
            } else {
                input = Self.mutate(seeds.randomElement(using: &rng) ?? "", using: &rng)
            }
            if try Self.exercise(input) { acceptedCount += 1 }
        }
        // Mutation keeps a healthy share valid, so round-trips are actually exercised.
        #expect(acceptedCount > 1_000)
    }

    @Test("R4–R6: DIDDocument.decode survives 3,000 mutated documents; accepted ones re-encode")
    func documents() throws {
        var rng = SeededGenerator(state: 0xD1D_D0C)
        let expected = try DID("did:plc:7iza6de2dwap2sbkpav7c6c6")
        var acceptedCount = 0
        for _ in 0..<3_000 {
            let text = Self.mutate(Self.documentSeed, using: &rng)
            var data = Data(text.utf8)
            if Int.random(in: 0..<10, using: &rng) == 0, !data.isEmpty {  // raw byte damage, even invalid UTF-8
                data[Int.random(in: 0..<data.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            guard let document = try? DIDDocument.decode(data, expectedDID: expected) else { continue }
            acceptedCount += 1
            let again = try DIDDocument.decode(try JSONEncoder().encode(document), expectedDID: expected)
            #expect(again == document)
            _ = document.handle
            _ = try? document.pdsEndpoint(allowHTTPLoopback: true)
        }
        #expect(acceptedCount > 100)
    }
}
