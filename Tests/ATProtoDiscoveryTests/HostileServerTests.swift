import ATProtoDiscovery
import ATProtoOAuth
import Foundation
import Testing

/// Broken or hostile server metadata (R8, R9, R29): each fails on its own step with its rule.
@Suite("Discovery: hostile server metadata")
struct HostileServerTests {
    private func failure(_ transport: FakeTransport) async -> DiscoveryError? {
        await discoveryFailure(Fixture.discovery(transport), Fixture.handle)
    }

    @Test("R8, R29: resource metadata answered with a redirect")
    func resourceRedirectResponse() async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.resourceURL] = .status(302, headers: [("Location", "https://evil.example/")])
        expectFailure(
            await failure(transport), step: .resourceMetadata, code: .badResponse, rule: "R8", field: "status",
            reasonContains: "redirect")
    }

    @Test("R29: a redirect refused by the transport")
    func resourceRedirectRefused() async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.resourceURL] = .failure(
            "R29 \(Fixture.resourceURL): server answered 301 redirecting to https://evil.example/; redirects are never followed"
        )
        expectFailure(
            await failure(transport), step: .resourceMetadata, code: .transport, rule: "R29", reasonContains: "301")
    }

    @Test("R8: resource metadata that is not JSON")
    func resourceNotJSON() async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.resourceURL] = .json("<html><body>hello</body></html>")
        expectFailure(await failure(transport), step: .resourceMetadata, code: .invalidDocument, rule: "R8")
    }

    @Test("R8: resource metadata served as HTML")
    func resourceWrongMediaType() async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.resourceURL] = .json(Fixture.resource(), contentType: "text/html")
        expectFailure(
            await failure(transport), step: .resourceMetadata, code: .badResponse, rule: "R8", field: "content_type")
    }

    @Test("R8: zero authorization servers")
    func zeroAuthorizationServers() async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.resourceURL] = .json(Fixture.resource(servers: []))
        expectFailure(
            await failure(transport), step: .resourceMetadata, code: .profileViolation, rule: "R8",
            field: "authorization_servers", reasonContains: "0 authorization servers")
    }

    @Test("R8: two authorization servers")
    func twoAuthorizationServers() async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.resourceURL] = .json(Fixture.resource(servers: [Fixture.issuer, "https://other.example"]))
        expectFailure(
            await failure(transport), step: .resourceMetadata, code: .profileViolation, rule: "R8",
            field: "authorization_servers", reasonContains: "2 authorization servers")
        #expect(transport.count(Fixture.serverURL) == 0)
    }

    @Test("R8: an authorization-server URL with a path")
    func authorizationServerWithPath() async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.resourceURL] = .json(Fixture.resource(servers: ["\(Fixture.issuer)/tenant"]))
        expectFailure(
            await failure(transport), step: .resourceMetadata, code: .profileViolation, rule: "R8",
            field: "authorization_server", reasonContains: "bare origin")
    }

    @Test("R8: resource differs from the PDS origin")
    func resourceMismatch() async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.resourceURL] = .json(Fixture.resource(resource: "https://other-pds.example.com"))
        expectFailure(
            await failure(transport), step: .resourceMetadata, code: .profileViolation, rule: "R8", field: "resource")
    }

    @Test("R9: authorization-server metadata that is not JSON")
    func serverNotJSON() async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.serverURL] = .json("{ nope")
        expectFailure(await failure(transport), step: .authorizationServerMetadata, code: .invalidDocument, rule: "R9")
    }

    @Test("R9: authorization-server metadata answering 404")
    func serverNotFound() async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.serverURL] = .status(404)
        expectFailure(
            await failure(transport), step: .authorizationServerMetadata, code: .badResponse, rule: "R9",
            field: "status")
    }

    @Test("R29: an oversize authorization-server document")
    func serverOversize() async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.serverURL] = .failure(
            "R29 \(Fixture.serverURL): response body exceeds the 1048576-byte limit and was aborted")
        expectFailure(
            await failure(transport), step: .authorizationServerMetadata, code: .transport, rule: "R29",
            reasonContains: "1048576-byte")
    }

    @Test("R9: issuer differs from the fetched origin")
    func issuerMismatch() async {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.serverURL] = .json(Fixture.server(Fixture.serverFields(issuer: "https://evil.example")))
        expectFailure(
            await failure(transport), step: .profileChecks, code: .profileViolation, rule: "R9", field: "issuer",
            reasonContains: "does not equal")
    }

    /// R9, one broken field at a time: `nil` removes the field.
    static let brokenFields: [(check: String, value: JSONValue?)] = [
        ("response_types_supported", strings(["token"])),
        ("grant_types_supported", strings(["authorization_code"])),
        ("code_challenge_methods_supported", strings(["plain"])),
        ("code_challenge_methods_supported", nil),
        ("token_endpoint_auth_methods_supported", strings(["none"])),
        ("token_endpoint_auth_signing_alg_values_supported", strings(["ES256", "none"])),
        ("scopes_supported", strings(["transition:generic"])),
        ("authorization_response_iss_parameter_supported", .bool(false)),
        ("authorization_response_iss_parameter_supported", nil),
        ("require_pushed_authorization_requests", .bool(false)),
        ("pushed_authorization_request_endpoint", nil),
        ("dpop_signing_alg_values_supported", strings(["RS256"])),
        ("require_request_uri_registration", .bool(false)),
        ("client_id_metadata_document_supported", nil),
        ("authorization_endpoint", .string("http://auth.example.com/oauth/authorize")),
    ]

    private static func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }

    @Test("R9: each field missing or wrong fails profile-checks naming it", arguments: 0..<brokenFields.count)
    func brokenField(index: Int) async {
        let (check, value) = Self.brokenFields[index]
        let field = check
        var fields = Fixture.serverFields()
        fields[field] = value
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.serverURL] = .json(Fixture.server(fields))
        let log = StepLog()
        do {
            _ = try await Fixture.discovery(transport).discover(LoginInput(Fixture.handle, allowHTTPLoopback: false)) {
                log.append($0)
            }
            Issue.record("\(field)=\(String(describing: value)) was accepted")
        } catch let error as DiscoveryError {
            expectFailure(error, step: .profileChecks, code: .profileViolation, rule: "R9", field: check)
            let step = log.all.last { $0.name == "profile-checks" }
            #expect(step?.status == .failed)
            #expect(step?.subresults.contains { $0.contains(check) } == true)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
