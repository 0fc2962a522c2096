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
        _ url: URL, proxy: ProxySettings, connectTimeout: Duration = .seconds(2)
    ) async throws -> ATProtoHTTPError? {
        let transport = try HTTPClientTransport(
            configuration: .init(connectTimeout: connectTimeout, timeout: .seconds(3), caFile: nil, proxy: proxy))
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

    @Test("NO_PROXY hosts go direct, never to the proxy")
    func noProxyGoesDirect() async throws {
        let hits = HitCounter()
        let proxy = try await LocalHTTPServer.start { server in
            await server.appendRoute("*") { _ in
                hits.hit()
                return FlyingFox.HTTPResponse(statusCode: .forbidden)
            }
        }
        defer { Task { await proxy.stop() } }
        let settings = ProxySettings(httpsProxy: "http://\(proxy.host):\(proxy.port)", noProxy: ["192.0.2.1"])
        // TEST-NET-1 (RFC 5737): never answers, so the direct attempt fails on its own.
        let error = try await send(
            try #require(URL(string: "https://192.0.2.1/")), proxy: settings, connectTimeout: .seconds(1))
        #expect(error != nil)
        #expect(error?.code != .proxy)
        #expect(hits.value == 0)
    }
}
