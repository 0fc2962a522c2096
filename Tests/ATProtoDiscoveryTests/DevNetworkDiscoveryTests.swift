import ATProtoDevServer
import ATProtoDiscovery
import ATProtoHTTP
import ATProtoOAuth
import Foundation
import Testing

/// End to end against a real in-process `DevNetwork`, with the real transport (development
/// mode: http to loopback) and the real libresolv resolver pinned to the dev DNS.
@Suite("Discovery: dev network end to end", .serialized)
struct DevNetworkDiscoveryTests {
    /// Starts a network, runs `body`, and always stops the network and the transport.
    private func withNetwork<T>(
        latency: Duration = .zero, handleResolver: Bool = false,
        _ body: (DevNetwork, DevNetworkInfo, Discovery) async throws -> T
    ) async throws -> T {
        let network = DevNetwork(configuration: DevNetworkConfiguration(latency: latency))
        let info = try await network.start()
        let transport = try HTTPClientTransport(
            configuration: .init(allowHTTPLoopback: true, connectTimeout: .seconds(60), timeout: .seconds(60)))
        let outcome: Result<T, any Error>
        do {
            let discovery = Discovery(
                transport: transport, txtResolver: try ResolvTXTResolver(nameserver: info.dns, timeout: .seconds(2)),
                configuration: DiscoveryConfiguration(
                    plcDirectory: try #require(URL(string: info.plc)),
                    handleResolver: handleResolver ? URL(string: info.handleResolver) : nil,
                    allowHTTPLoopback: true),
                cache: IdentityCache())
            outcome = .success(try await body(network, info, discovery))
        } catch {
            outcome = .failure(error)
        }
        try await transport.shutdown()
        await network.stop()
        return try outcome.get()
    }

    private func account(_ info: DevNetworkInfo, _ handle: String) throws -> SeededAccount {
        try #require(info.accounts.first { $0.handle == handle })
    }

    /// alice.test lives on the entryway PDS (issuer: the entryway); carol.test on a
    /// self-hosted PDS that is its own authorization server.
    private func expectTopology(_ result: DiscoveryResult, _ info: DevNetworkInfo, handle: String) throws {
        let account = try account(info, handle)
        #expect(result.did?.rawValue == account.did)
        #expect(result.handle?.rawValue == handle)
        #expect(result.handleVerified)
        #expect(result.pds.absoluteString == account.pds)
        let expectedIssuer = handle == "carol.test" ? info.pds[1] : info.entryway
        #expect(result.issuer.absoluteString == expectedIssuer)
        #expect(result.checks.failures.isEmpty, "\(result.checks.failures)")
        #expect(result.steps.allSatisfy { $0.status == .ok || $0.status == .skipped })
    }

    @Test("R3: handle via DNS TXT, both topologies", arguments: ["alice.test", "carol.test"])
    func handleViaDNS(handle: String) async throws {
        try await withNetwork { _, info, discovery in
            let result = try await discovery.discover(LoginInput(handle, allowHTTPLoopback: true))
            try expectTopology(result, info, handle: handle)
            #expect(result.steps[0].detail.contains("DNS"))
            #expect(result.steps[0].subresults.contains { $0.hasPrefix("dns:") })
        }
    }

    @Test("R3: handle via XRPC resolveHandle, both topologies", arguments: ["alice.test", "carol.test"])
    func handleViaXRPC(handle: String) async throws {
        try await withNetwork(handleResolver: true) { _, info, discovery in
            let result = try await discovery.discover(LoginInput(handle, allowHTTPLoopback: true))
            try expectTopology(result, info, handle: handle)
            #expect(result.steps[0].detail.contains("resolveHandle"))
        }
    }

    @Test("R4, R5: DID input, both topologies", arguments: ["alice.test", "carol.test"])
    func didInput(handle: String) async throws {
        try await withNetwork { _, info, discovery in
            let account = try account(info, handle)
            let result = try await discovery.discover(LoginInput(account.did, allowHTTPLoopback: true))
            try expectTopology(result, info, handle: handle)
            #expect(result.steps[0].status == .skipped)
        }
    }

    @Test("R1: PDS URL input, both topologies", arguments: [0, 1])
    func pdsURLInput(index: Int) async throws {
        try await withNetwork { _, info, discovery in
            let result = try await discovery.discover(LoginInput(info.pds[index], allowHTTPLoopback: true))
            #expect(result.did == nil)
            #expect(result.pds.absoluteString == info.pds[index])
            #expect(result.issuer.absoluteString == (index == 0 ? info.entryway : info.pds[1]))
            #expect(result.resourceMetadata != nil)
            #expect(result.checks.failures.isEmpty, "\(result.checks.failures)")
        }
    }

    @Test("R1: entryway URL input (no resource metadata) falls back to its AS metadata")
    func entrywayURLInput() async throws {
        try await withNetwork { _, info, discovery in
            let result = try await discovery.discover(LoginInput(info.entryway, allowHTTPLoopback: true))
            #expect(result.issuer.absoluteString == info.entryway)
            #expect(result.authorizationServerMetadata.issuer == info.entryway)
        }
    }

    @Test("R4: an unknown did:plc fails on resolve-did with the PLC's 404")
    func unknownDID() async throws {
        try await withNetwork { _, _, discovery in
            let error = await discoveryFailure(discovery, "did:plc:zzzzzzzzzzzzzzzzzzzzzzzz", allowHTTPLoopback: true)
            expectFailure(error, step: .resolveDID, code: .notFound, rule: "R4")
        }
    }

    @Test("R29: connection refused surfaces as a transport failure of its step")
    func connectionRefused() async throws {
        let transport = try HTTPClientTransport(configuration: .init(allowHTTPLoopback: true, timeout: .seconds(5)))
        // Port 9 on loopback: nothing listens there.
        let discovery = Discovery(
            transport: transport, txtResolver: try ResolvTXTResolver(nameserver: "127.0.0.1:9", timeout: .seconds(1)),
            configuration: DiscoveryConfiguration(
                plcDirectory: try #require(URL(string: "http://127.0.0.1:9")), allowHTTPLoopback: true),
            cache: IdentityCache())
        let error = await discoveryFailure(discovery, "did:plc:zzzzzzzzzzzzzzzzzzzzzzzz", allowHTTPLoopback: true)
        try await transport.shutdown()
        expectFailure(error, step: .resolveDID, code: .transport, rule: nil)
    }

    @Test("every document is fetched exactly once (request log)", arguments: ["alice.test", "carol.test"])
    func requestCount(handle: String) async throws {
        try await withNetwork { network, info, discovery in
            await network.clearRequestLog()
            let result = try await discovery.discover(LoginInput(handle, allowHTTPLoopback: true))
            let log = await network.requestLog()
            let paths = log.map(\.path)
            let did = try #require(result.did?.rawValue)
            #expect(paths.filter { $0 == "/\(did)" }.count == 1)
            #expect(paths.filter { $0 == "/.well-known/oauth-protected-resource" }.count == 1)
            #expect(paths.filter { $0 == "/.well-known/oauth-authorization-server" }.count == 1)
            #expect(log.count == 3, "\(log.map { "\($0.origin)\($0.path)" })")
            _ = info
        }
    }

    @Test(
        "latency: handle discovery with 100 ms per response (benchmark figure, not asserted)",
        arguments: [false, true])
    func latency(handleResolver: Bool) async throws {
        try await withNetwork(latency: .milliseconds(100), handleResolver: handleResolver) { network, _, discovery in
            await network.clearRequestLog()
            let start = ContinuousClock.now
            let result = try await discovery.discover(LoginInput("alice.test", allowHTTPLoopback: true))
            let elapsed = ContinuousClock.now - start
            let requests = await network.requestLog().count
            let steps = result.steps.map { "\($0.name)=\($0.milliseconds ?? -1)ms" }.joined(separator: " ")
            let path = handleResolver ? "XRPC resolveHandle" : "DNS TXT"
            print(
                "BENCHMARK discover alice.test (\(path)) with 100 ms latency: \(elapsed) total, "
                    + "\(requests) HTTP requests; \(steps)")
            #expect(requests == (handleResolver ? 4 : 3))
        }
    }
}
