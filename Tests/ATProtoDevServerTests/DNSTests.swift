import ATProtoHTTP
import Foundation
import Testing

@testable import ATProtoDevServer

@Suite("Dev DNS responder")
struct DNSTests {
    @Test("R3: _atproto TXT answered through the real resolver, case-insensitively")
    func answersTXT() async throws {
        let dns = try DevDNSServer(records: ["_atproto.alice.test": ["did=did:plc:alicetestdevaccount2222a"]])
        defer { dns.stop() }
        let resolver = try ResolvTXTResolver(nameserver: "127.0.0.1:\(dns.port)")
        #expect(try await resolver.txtRecords(for: "_atproto.ALICE.test") == ["did=did:plc:alicetestdevaccount2222a"])
        #expect(try await resolver.txtRecords(for: "_atproto.nobody.test") == [])
    }

    @Test("The dev network's DNS knows every seeded handle")
    func networkDNS() async throws {
        try await DevHarness.with { harness in
            let resolver = try ResolvTXTResolver(nameserver: harness.info.dns)
            for account in harness.info.accounts {
                #expect(try await resolver.txtRecords(for: "_atproto.\(account.handle)") == ["did=\(account.did)"])
            }
        }
    }

    static func query(id: UInt16, name: String, type: UInt16 = 16) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.split(separator: ".") {
            bytes.append(UInt8(label.utf8.count))
            bytes.append(contentsOf: label.utf8)
        }
        return bytes + [0, UInt8(type >> 8), UInt8(type & 0xFF), 0, 1]
    }

    @Test("Wire format: ID echoed, NOERROR with a TXT answer, NXDOMAIN, FORMERR")
    func wireFormat() {
        let responder = DNSResponder(records: ["_atproto.bob.test": ["did=did:plc:x"]])
        let answer = responder.respond(to: Self.query(id: 0xBEEF, name: "_atproto.bob.test"))
        #expect(answer?.prefix(2) == [0xBE, 0xEF])
        #expect(answer.map { $0[3] & 0x0F } == 0)
        #expect(answer.map { Int($0[6]) << 8 | Int($0[7]) } == 1)
        #expect(answer?.suffix(14) == [13] + Array("did=did:plc:x".utf8))
        let missing = responder.respond(to: Self.query(id: 7, name: "_atproto.carol.test"))
        #expect(missing.map { $0[3] & 0x0F } == 3)
        let garbage = responder.respond(to: [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C])
        #expect(garbage?.prefix(2) == [0x12, 0x34])
        #expect(garbage.map { $0[3] & 0x0F } == 1)
        #expect(responder.respond(to: [1, 2, 3]) == nil)
    }
}
