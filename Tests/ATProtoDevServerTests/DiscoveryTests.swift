import ATProtoDevServer
import ATProtoOAuth
import Foundation
import Testing

@Suite("Dev network discovery documents")
struct DiscoveryTests {
    @Test("R4–R6: PLC serves each seeded DID document with handle and #atproto_pds (bob's in DID Core's other shapes)")
    func plcDocuments() async throws {
        try await DevHarness.with { harness in
            #expect(harness.info.accounts.map(\.handle) == ["alice.test", "bob.test", "carol.test"])
            for account in harness.info.accounts {
                let did = try DID(account.did)
                #expect(account.did.count == "did:plc:".count + 24)
                let response = try await harness.get(harness.url(harness.plc, "/" + account.did))
                #expect(response.status == 200)
                let document = try harness.json(response)
                #expect(document["id"]?.stringValue == did.rawValue)
                // What the client reads from it (R5, R6), whatever the document's shape.
                let parsed = try DIDDocument.decode(response.body, expectedDID: did)
                #expect(parsed.handle?.rawValue == account.handle)
                #expect(try parsed.pdsEndpoint(allowHTTPLoopback: true).absoluteString == account.pds)
                let services = try #require(document["service"]?.arrayValue)
                if account.handle == "bob.test" {
                    // bob: https alias first, PDS last after map/array endpoints and a PDS-id decoy.
                    #expect(document["alsoKnownAs"]?.arrayValue?.first?.stringValue?.hasPrefix("https://") == true)
                    #expect(services.count > 1)
                    #expect(services.last?["type"]?.arrayValue?.first?.stringValue == "AtprotoPersonalDataServer")
                    #expect(services.contains { $0["serviceEndpoint"]?.objectValue != nil })
                    #expect(services.contains { $0["serviceEndpoint"]?.arrayValue != nil })
                    #expect(
                        services.contains {
                            $0["id"]?.stringValue == "#atproto_pds"
                                && $0["type"]?.stringValue != "AtprotoPersonalDataServer"
                        })
                } else {
                    #expect(document["alsoKnownAs"]?.arrayValue?.first?.stringValue == "at://\(account.handle)")
                    let service = try #require(services.first)
                    #expect(service["id"]?.stringValue == "#atproto_pds")
                    #expect(service["type"]?.stringValue == "AtprotoPersonalDataServer")
                    #expect(service["serviceEndpoint"]?.stringValue == account.pds)
                }
            }
            #expect(
                harness.info.accounts.map(\.pds) == [harness.info.pds[0], harness.info.pds[0], harness.info.pds[1]])
        }
    }

    @Test("R4: an unknown DID is 404")
    func unknownDID() async throws {
        try await DevHarness.with { harness in
            let response = try await harness.get(harness.url(harness.plc, "/did:plc:zzzzzzzzzzzzzzzzzzzzzzzz"))
            #expect(response.status == 404)
        }
    }

    @Test("R8: each PDS's resource metadata passes the core's checks and names its AS")
    func protectedResourceMetadata() async throws {
        try await DevHarness.with { harness in
            let expected = [(harness.entrywayPDS, harness.entryway), (harness.selfHostedPDS, harness.selfHostedPDS)]
            for (pds, issuer) in expected {
                let response = try await harness.get(harness.url(pds, "/.well-known/oauth-protected-resource"))
                #expect(ProtectedResourceMetadata.responseChecks(response).failures.isEmpty)
                let metadata = try ProtectedResourceMetadata.decode(response.body)
                #expect(metadata.checks(pds: pds, allowHTTPLoopback: true).failures.isEmpty)
                #expect(try metadata.authorizationServer(allowHTTPLoopback: true).originString == issuer.originString)
            }
        }
    }

    @Test("R9: both authorization servers' metadata pass every check")
    func authorizationServerMetadata() async throws {
        try await DevHarness.with { harness in
            for issuer in [harness.entryway, harness.selfHostedPDS] {
                let response = try await harness.get(harness.url(issuer, "/.well-known/oauth-authorization-server"))
                #expect(AuthorizationServerMetadata.responseChecks(response).failures.isEmpty)
                let metadata = try AuthorizationServerMetadata.decode(response.body)
                let failures = metadata.checks(issuer: issuer, allowHTTPLoopback: true).failures
                #expect(failures.isEmpty, "\(failures)")
            }
        }
    }

    @Test("R29: each authorization server lists exactly the PDSes it serves in protected_resources")
    func protectedResources() async throws {
        try await DevHarness.with { harness in
            let served = [
                harness.entryway: [harness.entrywayPDS, harness.secondEntrywayPDS],
                harness.selfHostedPDS: [harness.selfHostedPDS],
            ]
            for (issuer, resources) in served {
                let response = try await harness.get(harness.url(issuer, "/.well-known/oauth-authorization-server"))
                let metadata = try AuthorizationServerMetadata.decode(response.body)
                #expect(Set(metadata.protectedResources ?? []) == Set(resources.map(\.absoluteString)))
                for resource in resources {
                    #expect(metadata.protectedResourcesCheck(resource: resource.absoluteString)?.ok == true)
                }
                let foreign = issuer == harness.entryway ? harness.selfHostedPDS : harness.entrywayPDS
                #expect(metadata.protectedResourcesCheck(resource: foreign.absoluteString)?.ok == false)
            }
        }
    }

    @Test("XRPC resolveHandle: seeded handles resolve, others are HandleNotFound")
    func resolveHandle() async throws {
        try await DevHarness.with { harness in
            let resolver = try #require(URL(string: harness.info.handleResolver))
            let ok = try await harness.get(
                harness.url(resolver, "/xrpc/com.atproto.identity.resolveHandle?handle=carol.test"))
            #expect(ok.status == 200)
            #expect(try harness.json(ok)["did"]?.stringValue == "did:plc:caroltestdevaccount22222")
            let missing = try await harness.get(
                harness.url(resolver, "/xrpc/com.atproto.identity.resolveHandle?handle=nobody.test"))
            #expect(missing.status == 400)
            #expect(try harness.json(missing)["error"]?.stringValue == "HandleNotFound")
        }
    }
}
