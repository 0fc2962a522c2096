import ATProtoDiscovery
import ATProtoOAuth
import Foundation
import Testing

/// Broken or hostile identity answers (R2–R6): each fails on its own step with its own rule.
@Suite("Discovery: hostile identity")
struct HostileIdentityTests {
    @Test("R2: invalid handle syntax is refused before any request")
    func invalidHandleSyntax() async {
        let transport = FakeTransport(Fixture.routes())
        let error = await discoveryFailure(Fixture.discovery(transport), "alice..example.com")
        expectFailure(error, step: .resolveHandle, code: .invalidInput, rule: "R2")
        #expect(transport.requests.isEmpty)
    }

    @Test(
        "R2: disallowed TLDs never resolve", arguments: ["alice.local", "bob.onion", "x.internal", "1.0.in-addr.arpa"])
    func disallowedTLD(handle: String) async {
        let transport = FakeTransport(Fixture.routes())
        let resolver = FakeTXTResolver()
        let error = await discoveryFailure(Fixture.discovery(transport, resolver), handle)
        expectFailure(error, step: .resolveHandle, code: .invalidInput, rule: "R2", field: "handle")
        #expect(transport.requests.isEmpty)
        #expect(resolver.queryCount == 0)
    }

    @Test("R2: handle.invalid never resolves")
    func handleInvalid() async {
        let error = await discoveryFailure(Fixture.discovery(FakeTransport([:])), "handle.invalid")
        expectFailure(error, step: .resolveHandle, code: .invalidInput, rule: "R2", reasonContains: "handle.invalid")
    }

    @Test("R3: DNS with two different DIDs fails")
    func dnsTwoDIDs() async {
        let resolver = FakeTXTResolver([
            "_atproto.\(Fixture.handle)": ["did=\(Fixture.did)", "did=\(Fixture.otherDID)"]
        ])
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.wellKnownURL] = .text(Fixture.did)
        let error = await discoveryFailure(Fixture.discovery(transport, resolver), Fixture.handle)
        expectFailure(error, step: .resolveHandle, code: .conflictingDIDs, rule: "R3", reasonContains: Fixture.otherDID)
        #expect(transport.count(Fixture.documentURL) == 0)
    }

    @Test("R3: the same DID twice in DNS is one answer")
    func dnsSameDIDTwice() async throws {
        let resolver = FakeTXTResolver(["_atproto.\(Fixture.handle)": ["did=\(Fixture.did)", "did=\(Fixture.did)"]])
        let result = try await Fixture.discovery(FakeTransport(Fixture.routes()), resolver)
            .discover(LoginInput(Fixture.handle, allowHTTPLoopback: false))
        #expect(result.did?.rawValue == Fixture.did)
    }

    @Test("R3: TXT records without did= are ignored; then HTTPS decides (here: 404)")
    func txtWithoutDIDPrefix() async {
        let resolver = FakeTXTResolver(["_atproto.\(Fixture.handle)": ["v=spf1 -all", "dId=\(Fixture.did)"]])
        let error = await discoveryFailure(Fixture.discovery(FakeTransport(Fixture.routes()), resolver), Fixture.handle)
        expectFailure(error, step: .resolveHandle, code: .notFound, rule: "R3", reasonContains: "no did= TXT record")
    }

    @Test("R3: TXT records without did= are ignored; HTTPS answers")
    func txtWithoutDIDPrefixHTTPSAnswers() async throws {
        let resolver = FakeTXTResolver(["_atproto.\(Fixture.handle)": ["hello"]])
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.wellKnownURL] = .text("  \(Fixture.did)\n")
        let result = try await Fixture.discovery(transport, resolver)
            .discover(LoginInput(Fixture.handle, allowHTTPLoopback: false))
        #expect(result.did?.rawValue == Fixture.did)
        #expect(result.steps.first?.detail.contains("HTTPS") == true)
    }

    @Test("R3: well-known non-2xx", arguments: [404, 500, 302])
    func wellKnownNon2xx(status: Int) async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.wellKnownURL] = .text(Fixture.did, status: status)
        let error = await discoveryFailure(Fixture.discovery(transport, FakeTXTResolver()), Fixture.handle)
        expectFailure(error, step: .resolveHandle, code: .notFound, rule: "R3", reasonContains: "HTTP \(status)")
    }

    @Test("R3: a well-known HTML page is refused because its first line is not a DID (the media type is not checked)")
    func wellKnownHTML() async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.wellKnownURL] = .text("<html>\(Fixture.did)</html>", contentType: "text/html")
        let error = await discoveryFailure(Fixture.discovery(transport, FakeTXTResolver()), Fixture.handle)
        expectFailure(error, step: .resolveHandle, code: .notFound, rule: "R3", reasonContains: "is not a DID")
    }

    @Test("R3, R29: an oversize well-known body is refused")
    func wellKnownOversize() async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.wellKnownURL] = .text(Fixture.did + String(repeating: " ", count: 10_000))
        let error = await discoveryFailure(Fixture.discovery(transport, FakeTXTResolver()), Fixture.handle)
        expectFailure(error, step: .resolveHandle, code: .notFound, rule: "R3", reasonContains: "bytes")
    }

    @Test("R3: a well-known body that is not a DID is refused")
    func wellKnownNotDID() async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.wellKnownURL] = .text("hello world")
        let error = await discoveryFailure(Fixture.discovery(transport, FakeTXTResolver()), Fixture.handle)
        expectFailure(error, step: .resolveHandle, code: .notFound, rule: "R3", reasonContains: "not a valid DID")
    }

    @Test("R3: DNS failure and no well-known names both reasons")
    func dnsErrorAndNoWellKnown() async {
        let resolver = FakeTXTResolver()
        resolver.fail("_atproto.\(Fixture.handle)", "DNS look-up of _atproto.alice.example.com failed: SERVFAIL")
        let error = await discoveryFailure(Fixture.discovery(FakeTransport(Fixture.routes()), resolver), Fixture.handle)
        expectFailure(error, step: .resolveHandle, code: .notFound, rule: "R3", reasonContains: "SERVFAIL")
        #expect(error?.reason.contains("HTTP 404") == true)
    }

    @Test("R3: XRPC resolveHandle that does not know the handle")
    func xrpcHandleNotFound() async {
        let resolverURL = "https://resolver.example/xrpc/com.atproto.identity.resolveHandle?handle=\(Fixture.handle)"
        let transport = FakeTransport(Fixture.routes())
        transport[resolverURL] = .json(#"{"error":"InvalidRequest","message":"Unable to resolve handle"}"#, status: 400)
        let configuration = Fixture.configuration(handleResolver: URL(string: "https://resolver.example"))
        let error = await discoveryFailure(
            Fixture.discovery(transport, configuration: configuration), Fixture.handle)
        expectFailure(error, step: .resolveHandle, code: .notFound, rule: "R3", reasonContains: "InvalidRequest")
    }

    @Test("R4: unknown DID method is refused before any request")
    func unknownDIDMethod() async {
        let transport = FakeTransport(Fixture.routes())
        let error = await discoveryFailure(
            Fixture.discovery(transport), "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme")
        expectFailure(error, step: .resolveDID, code: .invalidInput, rule: "R4", reasonContains: "key")
        #expect(transport.requests.isEmpty)
    }

    @Test("R4: did:web with a port outside development")
    func didWebWithPort() async {
        let transport = FakeTransport([:])
        let error = await discoveryFailure(Fixture.discovery(transport), "did:web:example.com%3A8443")
        expectFailure(error, step: .resolveDID, code: .invalidInput, rule: "R4", reasonContains: "port")
        #expect(transport.requests.isEmpty)
    }

    @Test("R4: did:web with a path")
    func didWebWithPath() async {
        let error = await discoveryFailure(Fixture.discovery(FakeTransport([:])), "did:web:example.com:users:alice")
        expectFailure(error, step: .resolveDID, code: .invalidInput, rule: "R4", reasonContains: "path")
    }

    @Test("R4: PLC answers 404 for the DID")
    func didNotFound() async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.documentURL] = .status(404)
        let error = await discoveryFailure(Fixture.discovery(transport), Fixture.did)
        expectFailure(error, step: .resolveDID, code: .notFound, rule: "R4", reasonContains: "404")
    }

    @Test("R4: a document for another DID is refused")
    func documentForAnotherDID() async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.documentURL] = .json(Fixture.document(id: Fixture.otherDID))
        let error = await discoveryFailure(Fixture.discovery(transport), Fixture.handle)
        expectFailure(error, step: .resolveDID, code: .invalidDocument, rule: "R4", field: "id")
    }

    @Test("R4: a document that is not JSON")
    func documentNotJSON() async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.documentURL] = .json("<html>nope</html>")
        let error = await discoveryFailure(Fixture.discovery(transport), Fixture.handle)
        expectFailure(error, step: .resolveDID, code: .invalidDocument, rule: "R4", reasonContains: "not valid JSON")
    }

    @Test("R5: alsoKnownAs naming another handle fails verification")
    func alsoKnownAsMismatch() async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.documentURL] = .json(Fixture.document(alsoKnownAs: ["at://mallory.example.com"]))
        let error = await discoveryFailure(Fixture.discovery(transport), Fixture.handle)
        expectFailure(
            error, step: .verifyHandle, code: .handleMismatch, rule: "R5", field: "alsoKnownAs",
            reasonContains: "mallory.example.com")
    }

    @Test("R5: from a DID, an alias that does not resolve back is reported unverified, not fatal")
    func didInputUnverifiedHandle() async throws {
        let transport = FakeTransport(Fixture.routes())
        let resolver = FakeTXTResolver(["_atproto.\(Fixture.handle)": ["did=\(Fixture.otherDID)"]])
        let result = try await Fixture.discovery(transport, resolver)
            .discover(LoginInput(Fixture.did, allowHTTPLoopback: false))
        #expect(result.handle?.rawValue == Fixture.handle)
        #expect(result.handleVerified == false)
        #expect(result.steps[2].detail.contains("unverified"))
    }

    @Test("R6: a document without a PDS service")
    func documentWithoutPDS() async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.documentURL] = .json(
            Fixture.document(
                services:
                    ##"[{"id":"#atproto_labeler","type":"AtprotoLabeler","serviceEndpoint":"https://l.example"}]"##))
        let error = await discoveryFailure(Fixture.discovery(transport), Fixture.handle)
        expectFailure(error, step: .pdsEndpoint, code: .invalidDocument, rule: "R6", field: "service")
    }

    @Test(
        "R6, R29: a non-https PDS outside development", arguments: ["http://pds.example.com", "http://127.0.0.1:2583"])
    func plainHTTPPDS(endpoint: String) async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.documentURL] = .json(
            Fixture.document(
                services:
                    ##"[{"id":"#atproto_pds","type":"AtprotoPersonalDataServer","serviceEndpoint":"\##(endpoint)"}]"##))
        let error = await discoveryFailure(Fixture.discovery(transport), Fixture.handle)
        expectFailure(error, step: .pdsEndpoint, code: .invalidDocument, rule: "R6", reasonContains: "https")
    }

    @Test("R29: a timeout fetching the DID document")
    func timeout() async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.documentURL] = .failure(
            "R29 https://plc.example/\(Fixture.did): no complete response within 10s; check that the server is reachable"
        )
        let error = await discoveryFailure(Fixture.discovery(transport), Fixture.handle)
        expectFailure(error, step: .resolveDID, code: .transport, rule: "R29", reasonContains: "within 10s")
    }

    @Test("connection refused by the PDS")
    func connectionRefused() async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.resourceURL] = .failure(
            "https://pds.example.com/.well-known/oauth-protected-resource: connection refused by pds.example.com:443")
        let error = await discoveryFailure(Fixture.discovery(transport), Fixture.handle)
        expectFailure(error, step: .resourceMetadata, code: .transport, rule: nil, reasonContains: "connection refused")
    }
}
