import ATProtoDiscovery
import ATProtoOAuth
import Foundation
import Testing

/// What real servers legitimately send (issue 9): accepted where the specs allow it, refused
/// with the rule that forbids it where they do not.
@Suite("Discovery: what real servers send")
struct RealServerToleranceTests {
    /// Discovers `Fixture.handle` with no DNS answer, so the well-known answer decides.
    func discoverWithWellKnown(_ answer: FakeAnswer) async throws -> DiscoveryResult {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.wellKnownURL] = answer
        return try await Fixture.discovery(transport, FakeTXTResolver())
            .discover(LoginInput(Fixture.handle, allowHTTPLoopback: false))
    }

    // MARK: R3 well-known

    @Test(
        "R3: the well-known media type is not checked (octet-stream, none, text/html, charset)",
        arguments: [
            "application/octet-stream", "text/plain; charset=utf-8", "text/html", "application/json", nil,
        ])
    func wellKnownAnyMediaType(_ contentType: String?) async throws {
        let result = try await discoverWithWellKnown(.text(Fixture.did, contentType: contentType))
        #expect(result.did?.rawValue == Fixture.did)
        #expect(result.steps.first?.detail.contains("HTTPS") == true)
    }

    @Test(
        "R3: the DID is the first line of the body, trimmed; later lines are ignored",
        arguments: [
            "\(Fixture.did)\n", "  \(Fixture.did)  \r\n", "\(Fixture.did)\nsecond line\n",
            "\t\(Fixture.did)\r\nx", "\(Fixture.did)\n\n<html></html>",
        ])
    func wellKnownFirstLine(_ body: String) async throws {
        let result = try await discoverWithWellKnown(.text(body, contentType: "application/octet-stream"))
        #expect(result.did?.rawValue == Fixture.did)
    }

    @Test("R3: an HTML page is not a DID, whatever its media type, and says why")
    func wellKnownHTMLPage() async {
        for contentType in ["text/html", "application/octet-stream"] {
            let transport = FakeTransport(Fixture.routes())
            transport[Fixture.wellKnownURL] = .text(
                "<!doctype html>\n<html><body>\(Fixture.did)</body></html>", contentType: contentType)
            let error = await discoveryFailure(Fixture.discovery(transport, FakeTXTResolver()), Fixture.handle)
            expectFailure(
                error, step: .resolveHandle, code: .notFound, rule: "R3", reasonContains: "first line of the body")
            #expect(error?.reason.contains("not a DID") == true)
            #expect(transport.count(Fixture.documentURL) == 0)
        }
    }

    @Test("R3: a DID on the second line is not accepted (only the first line counts)")
    func wellKnownDIDOnSecondLine() async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.wellKnownURL] = .text("\n\(Fixture.did)\n", contentType: "text/plain")
        let error = await discoveryFailure(Fixture.discovery(transport, FakeTXTResolver()), Fixture.handle)
        expectFailure(error, step: .resolveHandle, code: .notFound, rule: "R3", reasonContains: "first line")
    }

    @Test("R3, R29: the size cap still applies to an octet-stream body")
    func wellKnownSizeCap() async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.wellKnownURL] = .text(
            Fixture.did + "\n" + String(repeating: "x", count: 5000), contentType: "application/octet-stream")
        let error = await discoveryFailure(Fixture.discovery(transport, FakeTXTResolver()), Fixture.handle)
        expectFailure(error, step: .resolveHandle, code: .notFound, rule: "R3", reasonContains: "bytes")
    }

    // MARK: R2 TLDs

    @Test(
        "R2: handles under every disallowed TLD are refused before any DNS or HTTP, even in development mode",
        arguments: [
            "a.alt", "b.arpa", "c.example", "d.internal", "e.invalid", "f.local", "g.localhost", "h.onion",
        ])
    func disallowedTLDBeforeNetwork(_ handle: String) async {
        for development in [false, true] {
            let transport = FakeTransport(Fixture.routes())
            let resolver = FakeTXTResolver()
            let discovery = Fixture.discovery(
                transport, resolver, configuration: Fixture.configuration(allowHTTPLoopback: development))
            let error = await discoveryFailure(discovery, handle, allowHTTPLoopback: development)
            expectFailure(error, step: .resolveHandle, code: .invalidInput, rule: "R2", field: "handle")
            #expect(transport.requests.isEmpty)
            #expect(resolver.queryCount == 0)
        }
    }

    @Test("R2: a .test handle is refused before any request outside development mode")
    func testTLDOutsideDevelopment() async {
        let transport = FakeTransport(Fixture.routes())
        let resolver = FakeTXTResolver(["_atproto.alice.test": ["did=\(Fixture.did)"]])
        let error = await discoveryFailure(Fixture.discovery(transport, resolver), "alice.test")
        expectFailure(
            error, step: .resolveHandle, code: .invalidInput, rule: "R2", field: "handle",
            reasonContains: "development mode")
        #expect(transport.requests.isEmpty)
        #expect(resolver.queryCount == 0)
    }

    @Test("R2: a .test handle resolves in development mode (allowHTTPLoopback)")
    func testTLDInDevelopment() async throws {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.documentURL] = .json(Fixture.document(alsoKnownAs: ["at://alice.test"]))
        let resolver = FakeTXTResolver(["_atproto.alice.test": ["did=\(Fixture.did)"]])
        let discovery = Fixture.discovery(
            transport, resolver, configuration: Fixture.configuration(allowHTTPLoopback: true))
        let result = try await discovery.discover(LoginInput("alice.test", allowHTTPLoopback: true))
        #expect(result.did?.rawValue == Fixture.did)
        #expect(result.handleVerified)
    }

    @Test("R2: a did:web under a disallowed TLD is refused before any request")
    func didWebDisallowedTLD() async {
        for typed in ["did:web:pds.internal", "did:web:bob.test"] {
            let transport = FakeTransport(Fixture.routes())
            let error = await discoveryFailure(Fixture.discovery(transport), typed)
            expectFailure(error, step: .resolveDID, code: .invalidInput, rule: "R2", field: "did")
            #expect(transport.requests.isEmpty)
        }
    }

    @Test("R2, R5: a document claiming a .test handle leaves it unverified outside development, with no look-up")
    func claimedTestHandleUnverified() async throws {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.documentURL] = .json(Fixture.document(alsoKnownAs: ["at://alice.test"]))
        let resolver = FakeTXTResolver()
        let result = try await Fixture.discovery(transport, resolver)
            .discover(LoginInput(Fixture.did, allowHTTPLoopback: false))
        #expect(result.handle?.rawValue == "alice.test")
        #expect(!result.handleVerified)
        #expect(resolver.queryCount == 0)
        #expect(!transport.requests.contains { $0.contains("alice.test") })
    }

    // MARK: R6 DID Core shapes through discovery

    @Test("R5, R6: a DID Core document with other shapes before the PDS is followed to the right PDS")
    func didCoreShapes() async throws {
        let services = ##"""
            [{"id":"#atproto_labeler","type":"AtprotoLabeler","serviceEndpoint":{"uri":"https://labeler.example"}},
             {"id":"#hub","type":["A","B"],"serviceEndpoint":["https://a.example",{"b":"https://b.example"}]},
             {"type":"MissingID","serviceEndpoint":"https://x.example"}, 17,
             {"id":"#atproto_pds","type":"NotAPDS","serviceEndpoint":"https://wrong.example"},
             {"id":"\##(Fixture.did)#atproto_pds","type":["AtprotoPersonalDataServer"],
              "serviceEndpoint":"\##(Fixture.pds)"}]
            """##
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.documentURL] = .json(
            Fixture.document(alsoKnownAs: ["https://alice.example.com", "at://\(Fixture.handle)"], services: services))
        let result = try await Fixture.discovery(transport).discover(
            LoginInput(Fixture.handle, allowHTTPLoopback: false))
        #expect(result.pds.absoluteString == Fixture.pds)
        #expect(result.handleVerified)
        #expect(!transport.requests.contains { $0.contains("wrong.example") })
    }

    @Test("R6: a PDS-id service of another type and no match fails on pds-endpoint, naming R6 and the type")
    func pdsIDWrongTypeOnly() async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.documentURL] = .json(
            Fixture.document(
                services: ##"[{"id":"#atproto_pds","type":"NotAPDS","serviceEndpoint":"https://x.example"}]"##))
        let error = await discoveryFailure(Fixture.discovery(transport), Fixture.handle)
        expectFailure(
            error, step: .pdsEndpoint, code: .invalidDocument, rule: "R6", field: "service[0].type",
            reasonContains: "AtprotoPersonalDataServer")
    }

    // MARK: R29 protected_resources

    func server(protectedResources: [String]?) -> String {
        var fields = Fixture.serverFields()
        if let protectedResources { fields["protected_resources"] = .array(protectedResources.map(JSONValue.string)) }
        return Fixture.server(fields)
    }

    @Test(
        "R29: protected_resources that include the PDS resource pass (trailing slash and case tolerated)",
        arguments: [
            [Fixture.pds], ["https://other.example.com", Fixture.pds + "/"], ["https://PDS.example.com"],
        ])
    func protectedResourcesInclude(_ listed: [String]) async throws {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.serverURL] = .json(server(protectedResources: listed))
        let result = try await Fixture.discovery(transport).discover(
            LoginInput(Fixture.handle, allowHTTPLoopback: false))
        let check = try #require(result.checks.first { $0.name == "protected_resources" })
        #expect(check.ok && check.rule == "R29")
    }

    @Test("R29: protected_resources that omit the PDS fail at authorization-server-metadata with the named check")
    func protectedResourcesOmitPDS() async {
        for listed in [["https://other.example.com"], []] {
            let transport = FakeTransport(Fixture.routes())
            transport[Fixture.serverURL] = .json(server(protectedResources: listed))
            let error = await discoveryFailure(Fixture.discovery(transport), Fixture.handle)
            expectFailure(
                error, step: .authorizationServerMetadata, code: .profileViolation, rule: "R29",
                field: "protected_resources", reasonContains: Fixture.pds)
        }
    }

    @Test("R29: without protected_resources there is nothing to check")
    func protectedResourcesAbsent() async throws {
        let result = try await Fixture.discovery(FakeTransport(Fixture.routes()))
            .discover(LoginInput(Fixture.handle, allowHTTPLoopback: false))
        #expect(!result.checks.contains { $0.name == "protected_resources" })
    }
}
