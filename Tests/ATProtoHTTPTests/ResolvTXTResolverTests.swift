import ATProtoDevServer
import Foundation
import Testing

@testable import ATProtoHTTP

/// The real resolver (glibc `res_nquery`) against the dev network's UDP DNS responder.
@Suite("ResolvTXTResolver")
struct ResolvTXTResolverTests {
    @Test("R3: TXT records of _atproto.<handle> come back through res_nquery")
    func resolvesRecords() async throws {
        let dns = try DevDNSServer(records: [
            "_atproto.alice.test": ["did=did:plc:alice123"],
            "_atproto.multi.test": ["did=did:plc:one", "v=spf1 -all"],
        ])
        defer { dns.stop() }
        let resolver = try ResolvTXTResolver(nameserver: "127.0.0.1:\(dns.port)", timeout: .seconds(2))
        #expect(try await resolver.txtRecords(for: "_atproto.alice.test") == ["did=did:plc:alice123"])
        #expect(try await resolver.txtRecords(for: "_atproto.ALICE.test.") == ["did=did:plc:alice123"])
        #expect(Set(try await resolver.txtRecords(for: "_atproto.multi.test")) == ["did=did:plc:one", "v=spf1 -all"])
    }

    @Test("R3: NXDOMAIN is no records, not an error")
    func nxdomainIsEmpty() async throws {
        let dns = try DevDNSServer(records: ["_atproto.alice.test": ["did=did:plc:alice123"]])
        defer { dns.stop() }
        let resolver = try ResolvTXTResolver(nameserver: "127.0.0.1:\(dns.port)", timeout: .seconds(2))
        #expect(try await resolver.txtRecords(for: "_atproto.nobody.test") == [])
    }

    @Test("Concurrent look-ups each get their own resolver state")
    func concurrentLookups() async throws {
        let dns = try DevDNSServer(records: [
            "_atproto.a.test": ["did=did:plc:a"], "_atproto.b.test": ["did=did:plc:b"],
        ])
        defer { dns.stop() }
        let resolver = try ResolvTXTResolver(nameserver: "127.0.0.1:\(dns.port)", timeout: .seconds(2))
        let results = try await withThrowingTaskGroup(of: (String, [String]).self) { group in
            for index in 0..<16 {
                let name = index.isMultiple(of: 2) ? "_atproto.a.test" : "_atproto.b.test"
                group.addTask { (name, try await resolver.txtRecords(for: name)) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 16)
        for (name, values) in results {
            #expect(values == [name == "_atproto.a.test" ? "did=did:plc:a" : "did=did:plc:b"])
        }
    }

    @Test("No DNS server at the pinned address is an error naming the name and the nameserver")
    func noServer() async throws {
        // A port just released by a TCP server: nothing listens on UDP there either.
        let port = try #require(try await LocalHTTPServer.closedURL().port)
        let resolver = try ResolvTXTResolver(nameserver: "127.0.0.1:\(port)", timeout: .seconds(1))
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: ATProtoHTTPError.self) {
            try await resolver.txtRecords(for: "_atproto.alice.test")
        }
        #expect(error?.code == .dns)
        #expect(error?.name == "_atproto.alice.test")
        #expect(error?.description.contains("127.0.0.1:\(port)") == true)
        #expect(clock.now - start < .seconds(60), "only the time-out ends an unanswered query")
    }

    @Test("An invalid name is a dns error before any query")
    func invalidName() async throws {
        let resolver = try ResolvTXTResolver(nameserver: "127.0.0.1:9", timeout: .seconds(1))
        for name in ["", "a..b", String(repeating: "x", count: 64) + ".test", "ümlaut.test"] {
            let error = await #expect(throws: ATProtoHTTPError.self) { try await resolver.txtRecords(for: name) }
            #expect(error?.code == .dns)
        }
    }

    @Test("Nameservers are IPv4[:PORT]; anything else is invalidNameserver")
    func nameserverParsing() throws {
        #expect(try ResolvTXTResolver(nameserver: "192.0.2.1").nameserver == "192.0.2.1:53")
        #expect(try ResolvTXTResolver(nameserver: "127.0.0.1:5353").nameserver == "127.0.0.1:5353")
        #expect(try ResolvTXTResolver().nameserver == nil)
        for bad in ["", "localhost", "1.2.3", "1.2.3.256", "::1", "[::1]:53", "1.2.3.4:0", "1.2.3.4:70000", "1.2.3.4:"]
        {
            let error = #expect(throws: ATProtoHTTPError.self, "\(bad)") { try ResolvTXTResolver(nameserver: bad) }
            #expect(error?.code == .invalidNameserver)
        }
    }
}
