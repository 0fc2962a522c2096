import ATProtoOAuth
import FlyingFox
import Foundation
import Testing

@testable import ATProtoHTTP

/// Which requests go through HTTPS_PROXY: a local FlyingFox server stands in for the
/// proxy and refuses every CONNECT, so a proxied request fails with a proxy error and the
/// stand-in counts it.
@Suite("Proxy routing")
struct ProxyRoutingTests {
    private func send(
        _ url: URL, proxy: ProxySettings, connectTimeout: Duration = .seconds(10)
    ) async throws -> ATProtoHTTPError? {
        let transport = try HTTPClientTransport(
            configuration: .init(connectTimeout: connectTimeout, timeout: .seconds(10), caFile: nil, proxy: proxy))
        let error = await #expect(throws: ATProtoHTTPError.self) {
            try await transport.send(ATProtoOAuth.HTTPRequest(method: "GET", url: url))
        }
        try await transport.shutdown()
        return error
    }

    @Test("https to a remote host goes through HTTPS_PROXY; a refused CONNECT is a proxy error")
    func httpsGoesThroughProxy() async throws {
        let hits = HitCounter()
        let proxy = try await LocalHTTPServer.start { server in
            await server.appendRoute("*") { _ in
                hits.hit()
                return FlyingFox.HTTPResponse(statusCode: .forbidden)
            }
        }
        defer { Task { await proxy.stop() } }
        let settings = ProxySettings(httpsProxy: "http://\(proxy.host):\(proxy.port)")
        let error = try await send(try #require(URL(string: "https://pds.example.test/xrpc")), proxy: settings)
        #expect(error?.code == .proxy)
        #expect(error?.description.contains("\(proxy.port)") == true)
        #expect(hits.value >= 1)
    }

    @Test("NO_PROXY hosts and loopback go direct; other https hosts go through the proxy")
    func noProxyGoesDirect() async throws {
        // Routing is decided before any connection, so this needs no traffic at all (tests
        // never send packets beyond loopback).
        let settings = ProxySettings(httpsProxy: "http://127.0.0.1:3128", noProxy: ["example.org", ".internal.test"])
        let transport = try HTTPClientTransport(configuration: .init(caFile: nil, proxy: settings))
        defer { Task { try? await transport.shutdown() } }
        for direct in [
            "https://example.org/x", "https://api.example.org/", "https://pds.internal.test/", "http://127.0.0.1:9/",
        ] {
            #expect(transport.route(for: try #require(URL(string: direct))).proxy == nil, "\(direct) must go direct")
        }
        let proxied = transport.route(for: try #require(URL(string: "https://bsky.social/"))).proxy
        #expect(proxied?.host == "127.0.0.1")
        #expect(proxied?.port == 3128)
    }
}
