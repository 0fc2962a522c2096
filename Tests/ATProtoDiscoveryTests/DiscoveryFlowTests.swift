import ATProtoDiscovery
import ATProtoOAuth
import Foundation
import Testing

/// The happy paths, the step protocol, the DNS/HTTPS race (R3), server-URL input (R1) and
/// the identity cache (R7), against the in-memory fakes.
@Suite("Discovery: flow")
struct DiscoveryFlowTests {
    private func handleInput() throws -> LoginInput { try LoginInput(Fixture.handle, allowHTTPLoopback: false) }

    @Test("R1–R9: a handle resolves to DID, PDS and issuer; steps go pending → running → ok")
    func handleHappyPath() async throws {
        let transport = FakeTransport(Fixture.routes())
        let log = StepLog()
        let result = try await Fixture.discovery(transport).discover(try handleInput()) { log.append($0) }
        #expect(result.input == Fixture.handle)
        #expect(result.did?.rawValue == Fixture.did)
        #expect(result.handle?.rawValue == Fixture.handle)
        #expect(result.handleVerified)
        #expect(result.pds.absoluteString == Fixture.pds)
        #expect(result.issuer.absoluteString == Fixture.issuer)
        #expect(result.resourceMetadata?.resource == Fixture.pds)
        #expect(result.authorizationServerMetadata.issuer == Fixture.issuer)
        #expect(result.checks.failures.isEmpty)
        #expect(result.checks.contains { $0.rule == "R9" && $0.name == "issuer" })
        #expect(result.steps.map(\.name) == DiscoveryStepName.allCases.map(\.rawValue))
        #expect(result.steps.allSatisfy { $0.status == .ok })
        #expect(result.steps.allSatisfy { $0.milliseconds != nil })

        let events = log.all
        #expect(events.prefix(7).map(\.name) == DiscoveryStepName.allCases.map(\.rawValue))
        #expect(events.prefix(7).allSatisfy { $0.status == .pending })
        for name in DiscoveryStepName.allCases.map(\.rawValue) {
            let statuses = events.filter { $0.name == name }.map(\.status)
            #expect(statuses.first == .pending)
            #expect(statuses.contains(.running))
            #expect(statuses.last == .ok)
        }
        let didStep = try #require(result.steps.first { $0.name == "resolve-did" })
        #expect(didStep.target == Fixture.documentURL)
        #expect(didStep.document?["id"]?.stringValue == Fixture.did)
        #expect(result.steps[4].document?["resource"]?.stringValue == Fixture.pds)
        #expect(result.steps[5].document?["issuer"]?.stringValue == Fixture.issuer)
    }

    @Test("every document is fetched exactly once per flow")
    func oneRequestPerDocument() async throws {
        let transport = FakeTransport(Fixture.routes())
        _ = try await Fixture.discovery(transport).discover(try handleInput())
        #expect(transport.count(Fixture.documentURL) == 1)
        #expect(transport.count(Fixture.resourceURL) == 1)
        #expect(transport.count(Fixture.serverURL) == 1)
        #expect(transport.requests.filter { $0 != Fixture.wellKnownURL }.count == 3)
    }

    @Test("R3: DNS wins a disagreement and both outcomes are sub-results")
    func dnsWinsDisagreement() async throws {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.wellKnownURL] = .text(Fixture.otherDID)
        // DNS answers after HTTPS, so both outcomes are known when the step finishes.
        let resolver = FakeTXTResolver(Fixture.txt(), delay: .milliseconds(50))
        let result = try await Fixture.discovery(transport, resolver).discover(try handleInput())
        #expect(result.did?.rawValue == Fixture.did)
        let step = result.steps[0]
        #expect(step.detail.contains("DNS"))
        #expect(step.subresults.contains { $0.hasPrefix("dns:") && $0.contains(Fixture.did) })
        #expect(step.subresults.contains { $0.hasPrefix("https:") && $0.contains(Fixture.otherDID) })
    }

    @Test("R3: a DNS answer does not wait for a slow well-known", .timeLimit(.minutes(2)))
    func dnsDoesNotWaitForHTTPS() async throws {
        let transport = FakeTransport(Fixture.routes())
        // An hour: had discovery waited for it, the time limit would end the test.
        transport[Fixture.wellKnownURL] = FakeAnswer.text(Fixture.did).delayed(.seconds(3600))
        let result = try await Fixture.discovery(transport).discover(try handleInput())
        // Behaviour, not timing (a wall-clock bound failed once on a loaded machine): had
        // discovery waited, the HTTPS outcome would be a sub-result.
        #expect(!result.steps[0].subresults.contains { $0.hasPrefix("https:") && $0.contains(Fixture.did) })
        #expect(result.did?.rawValue == Fixture.did)
    }

    @Test("R3: without a DNS answer the well-known decides")
    func httpsWhenDNSEmpty() async throws {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.wellKnownURL] = FakeAnswer.text(Fixture.did + "\n").delayed(.milliseconds(30))
        let result = try await Fixture.discovery(transport, FakeTXTResolver()).discover(try handleInput())
        #expect(result.did?.rawValue == Fixture.did)
        #expect(result.steps[0].detail.contains("HTTPS"))
    }

    @Test("R3: a handle resolver replaces DNS and HTTPS")
    func xrpcResolver() async throws {
        let transport = FakeTransport(Fixture.routes())
        let url = "https://resolver.example/xrpc/com.atproto.identity.resolveHandle?handle=\(Fixture.handle)"
        transport[url] = .json(#"{"did":"\#(Fixture.did)"}"#)
        let resolver = FakeTXTResolver()
        let configuration = Fixture.configuration(handleResolver: URL(string: "https://resolver.example"))
        let result = try await Fixture.discovery(transport, resolver, configuration: configuration)
            .discover(try handleInput())
        #expect(result.did?.rawValue == Fixture.did)
        #expect(resolver.queryCount == 0)
        #expect(transport.count(Fixture.wellKnownURL) == 0)
        #expect(transport.count(url) == 1)
    }

    @Test("R5: from a DID the claimed handle is resolved back and verified")
    func didInput() async throws {
        let result = try await Fixture.discovery(FakeTransport(Fixture.routes()))
            .discover(LoginInput(Fixture.did, allowHTTPLoopback: false))
        #expect(result.steps[0].status == .skipped)
        #expect(result.handle?.rawValue == Fixture.handle)
        #expect(result.handleVerified)
        #expect(result.issuer.absoluteString == Fixture.issuer)
    }

    @Test("R1: a PDS URL skips identity and starts at resource metadata")
    func serverURLInput() async throws {
        let transport = FakeTransport(Fixture.routes())
        let result = try await Fixture.discovery(transport).discover(LoginInput(Fixture.pds, allowHTTPLoopback: false))
        #expect(result.did == nil)
        #expect(result.steps.prefix(4).allSatisfy { $0.status == .skipped })
        #expect(result.issuer.absoluteString == Fixture.issuer)
        #expect(transport.count(Fixture.documentURL) == 0)
    }

    @Test("R1: an entryway URL without resource metadata (404) is tried as the authorization server")
    func entrywayURLInput() async throws {
        let transport = FakeTransport(Fixture.routes())
        let result = try await Fixture.discovery(transport)
            .discover(LoginInput(Fixture.issuer, allowHTTPLoopback: false))
        #expect(result.resourceMetadata == nil)
        #expect(result.issuer.absoluteString == Fixture.issuer)
        #expect(result.steps[4].status == .skipped)
        #expect(result.steps[5].status == .ok)
    }

    @Test("R7: identity answers and server metadata are cached, at most 10 minutes, and can be bypassed")
    func cache() async throws {
        let clock = ManualClock()
        let cache = IdentityCache()
        let transport = FakeTransport(Fixture.routes())
        let resolver = FakeTXTResolver(Fixture.txt())
        let discovery = Fixture.discovery(transport, resolver, cache: cache, clock: { clock.now })
        let first = try await discovery.discover(try handleInput())
        let second = try await discovery.discover(try handleInput())
        #expect(transport.count(Fixture.documentURL) == 1)
        #expect(resolver.queryCount == 1)
        #expect(second.steps[0].detail.contains("cached"))
        // The metadata documents too (a re-login costs no discovery round trip), and every
        // check still ran on them: the second result carries the same checks.
        #expect(transport.count(Fixture.resourceURL) == 1)
        #expect(second.checks.map(\.name) == first.checks.map(\.name))

        clock.advance(601)
        _ = try await discovery.discover(try handleInput())
        #expect(transport.count(Fixture.documentURL) == 2)
        #expect(transport.count(Fixture.resourceURL) == 2)
        #expect(resolver.queryCount == 2)

        let uncached = Fixture.discovery(
            transport, resolver, configuration: Fixture.configuration(useCache: false), cache: cache,
            clock: { clock.now })
        _ = try await uncached.discover(try handleInput())
        #expect(transport.count(Fixture.documentURL) == 3)
        #expect(transport.count(Fixture.resourceURL) == 3)
    }

    @Test("R7: a cache lifetime above 10 minutes is capped")
    func cacheLifetimeCap() async {
        #expect(IdentityCache(lifetime: .seconds(3600)).lifetime == .seconds(600))
        #expect(IdentityCache(lifetime: .seconds(60)).lifetime == .seconds(60))
    }

    @Test("R21: currentServers(for:) resolves DID → PDS → issuer afresh every time, bypassing the cache")
    func currentServersForDID() async throws {
        let transport = FakeTransport(Fixture.routes())
        let discovery = Fixture.discovery(transport)
        // A login fills the identity cache …
        _ = try await discovery.discover(try handleInput())
        #expect(transport.count(Fixture.documentURL) == 1)
        let did = try DID(Fixture.did)
        // … and the refresh re-check still fetches the document and resource metadata again.
        let first = try await discovery.currentServers(for: did)
        let second = try await discovery.currentServers(for: did)
        #expect(first.pds.absoluteString == Fixture.pds)
        #expect(first.issuer.absoluteString == Fixture.issuer)
        #expect(second.issuer == first.issuer)
        #expect(transport.count(Fixture.documentURL) == 3)
        #expect(transport.count(Fixture.resourceURL) == 3)
    }

    @Test(
        "R21: told the stored PDS, the re-check asks for its metadata while the document is fetched",
        .timeLimit(.minutes(1)))
    func currentServersOverlap() async throws {
        // The document is answered only after the metadata request went out: a re-check that
        // waited for the document before asking for the metadata would never finish.
        let transport = HeldTransport(
            FakeTransport(Fixture.routes()), hold: Fixture.documentURL, until: Fixture.resourceURL)
        let current = try await Fixture.discovery(transport).currentServers(
            for: try DID(Fixture.did), likelyPDS: try #require(URL(string: Fixture.pds)))
        #expect(current.pds.absoluteString == Fixture.pds)
        #expect(current.issuer.absoluteString == Fixture.issuer)
        #expect(transport.inner.count(Fixture.documentURL) == 1)
        #expect(transport.inner.count(Fixture.resourceURL) == 1)
    }

    @Test("R21: an account that moved drops the guess and asks the new PDS, whatever the old one answered")
    func currentServersMovedAccount() async throws {
        let transport = FakeTransport(Fixture.routes())
        let oldPDS = "https://old-pds.example.com"
        transport[oldPDS + "/.well-known/oauth-protected-resource"] = .status(500)
        let current = try await Fixture.discovery(transport).currentServers(
            for: try DID(Fixture.did), likelyPDS: try #require(URL(string: oldPDS)))
        #expect(current.pds.absoluteString == Fixture.pds)
        #expect(current.issuer.absoluteString == Fixture.issuer)
        #expect(transport.count(Fixture.resourceURL) == 1)
    }

    @Test("R21: a failing metadata fetch of the unmoved PDS fails the re-check at resource-metadata")
    func currentServersGuessFailure() async throws {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.resourceURL] = .status(500)
        let error = await #expect(throws: DiscoveryError.self) {
            _ = try await Fixture.discovery(transport).currentServers(
                for: try DID(Fixture.did), likelyPDS: try #require(URL(string: Fixture.pds)))
        }
        #expect(error?.step == .resourceMetadata)
        #expect(transport.count(Fixture.resourceURL) == 1)
    }

    @Test("events(for:) streams the steps and ends with .finished")
    func eventStream() async throws {
        var steps: [FlowStep] = []
        var finished: Result<DiscoveryResult, DiscoveryError>?
        for await event in Fixture.discovery(FakeTransport(Fixture.routes())).events(for: try handleInput()) {
            switch event {
            case .step(let step): steps.append(step)
            case .finished(let result): finished = result
            }
        }
        #expect(steps.count >= 21)
        let result = try #require(try finished?.get())
        #expect(result.did?.rawValue == Fixture.did)
    }

    @Test("events(for:) delivers a failure as .finished(.failure) naming the step")
    func eventStreamFailure() async throws {
        let transport = FakeTransport(Fixture.routes())
        transport[Fixture.documentURL] = .status(500)
        var failure: DiscoveryError?
        for await event in Fixture.discovery(transport).events(for: try handleInput()) {
            if case .finished(.failure(let error)) = event { failure = error }
        }
        #expect(failure?.step == .resolveDID)
    }

    @Test("DiscoveryError descriptions name step, rule, target and reason")
    func errorDescription() {
        let error = DiscoveryError(
            .profileViolation, step: .resourceMetadata, target: Fixture.resourceURL, rule: "R8",
            field: "authorization_servers", "2 authorization servers listed")
        #expect(
            error.description
                == "resource-metadata failed (R8) \(Fixture.resourceURL): authorization_servers: 2 authorization servers listed"
        )
    }
}

/// Holds the answer to one URL until another URL has been requested.
private final class HeldTransport: HTTPTransport, @unchecked Sendable {
    let inner: FakeTransport
    private let held: String
    private let awaited: String
    private let requested: AsyncStream<Void>
    private let signal: AsyncStream<Void>.Continuation

    init(_ inner: FakeTransport, hold held: String, until awaited: String) {
        self.inner = inner
        self.held = held
        self.awaited = awaited
        (requested, signal) = AsyncStream<Void>.makeStream()
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let url = request.url.absoluteString
        if url == awaited { signal.yield() }
        if url == held {
            for await _ in requested { break }
        }
        return try await inner.send(request)
    }
}
