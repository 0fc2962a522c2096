import ATProtoOAuth
import FlyingFox
import Foundation
import Testing

@testable import ATProtoHTTP

/// The real transport against a local FlyingFox server. Loopback http is enabled where a
/// test needs to reach the server; proxies and extra CA files are off so the machine's
/// environment cannot change the outcome.
@Suite("HTTPClientTransport")
struct HTTPClientTransportTests {
    static let loopbackConfiguration = HTTPClientTransport.Configuration(
        allowHTTPLoopback: true, caFile: nil, proxy: nil)

    private func withTransport<T>(
        _ configuration: HTTPClientTransport.Configuration = loopbackConfiguration,
        _ body: (HTTPClientTransport) async throws -> T
    ) async throws -> T {
        let transport = try HTTPClientTransport(configuration: configuration)
        do {
            let result = try await body(transport)
            try await transport.shutdown()
            return result
        } catch {
            try? await transport.shutdown()
            throw error
        }
    }

    @Test("POST with a form body round-trips status, headers and JSON body")
    func formPostRoundTrip() async throws {
        let server = try await LocalHTTPServer.start { server in
            await server.appendRoute("POST /echo") { request in
                let echo: [String: String] = [
                    "method": request.method.rawValue,
                    "contentType": request.headers[HTTPHeader("Content-Type")] ?? "",
                    "userAgent": request.headers[HTTPHeader("User-Agent")] ?? "",
                    "dpop": request.headers[HTTPHeader("DPoP")] ?? "",
                    "body": String(decoding: try await request.bodyData, as: UTF8.self),
                ]
                return FlyingFox.HTTPResponse(
                    statusCode: .ok,
                    headers: [
                        HTTPHeader("Content-Type"): "application/json; charset=utf-8",
                        HTTPHeader("DPoP-Nonce"): "nonce-1",
                    ],
                    body: try JSONSerialization.data(withJSONObject: echo, options: [.sortedKeys]))
            }
        }
        defer { Task { await server.stop() } }

        let response = try await withTransport { transport in
            try await transport.send(
                ATProtoOAuth.HTTPRequest(
                    method: "POST", url: server.url("/echo"),
                    headers: [
                        (name: "Content-Type", value: "application/x-www-form-urlencoded"),
                        (name: "DPoP", value: "proof.jwt"),
                    ],
                    body: Data("grant_type=authorization_code&code=abc".utf8)))
        }

        #expect(response.status == 200)
        #expect(response.mediaType == "application/json")
        #expect(response.header("dpop-nonce") == "nonce-1")
        let echo = try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: String])
        #expect(echo["method"] == "POST")
        #expect(echo["contentType"] == "application/x-www-form-urlencoded")
        #expect(echo["userAgent"] == "atproto-oauth/0.1")
        #expect(echo["dpop"] == "proof.jwt")
        #expect(echo["body"] == "grant_type=authorization_code&code=abc")
    }

    @Test("R29: a 302 is an error naming the Location, never followed, query redacted")
    func redirectIsNotFollowed() async throws {
        let followed = HitCounter()
        let server = try await LocalHTTPServer.start { server in
            await server.appendRoute("GET /start") { _ in
                FlyingFox.HTTPResponse(
                    statusCode: .found,
                    headers: HTTPHeaders([HTTPHeader("Location"): "/elsewhere?code=secret-code"]))
            }
            await server.appendRoute("GET /elsewhere") { _ in
                followed.hit()
                return FlyingFox.HTTPResponse(statusCode: .ok)
            }
        }
        defer { Task { await server.stop() } }

        let error = try await withTransport { transport in
            await #expect(throws: ATProtoHTTPError.self) {
                try await transport.send(
                    ATProtoOAuth.HTTPRequest(method: "GET", url: server.url("/start?state=s3cr3t")))
            }
        }
        #expect(error?.code == .redirect)
        #expect(error?.status == 302)
        #expect(error?.location == "/elsewhere")
        #expect(error?.url == server.url("/start").absoluteString)
        let description = error?.description ?? ""
        #expect(description.contains("/elsewhere"))
        #expect(!description.contains("secret-code") && !description.contains("s3cr3t"))
        #expect(followed.value == 0)
    }

    @Test("R29: a 2 MiB body with a 1 MiB cap is bodyTooLarge (Content-Length)")
    func oversizeBodyWithLength() async throws {
        let server = try await LocalHTTPServer.start { server in
            await server.appendRoute("GET /big") { _ in
                FlyingFox.HTTPResponse(statusCode: .ok, body: Data(count: 2 << 20))
            }
        }
        defer { Task { await server.stop() } }

        let error = try await withTransport { transport in
            await #expect(throws: ATProtoHTTPError.self) {
                try await transport.send(ATProtoOAuth.HTTPRequest(method: "GET", url: server.url("/big")))
            }
        }
        #expect(error?.code == .bodyTooLarge)
        #expect(error?.limit == 1 << 20)
    }

    @Test("R29: a chunked 2 MiB body is aborted mid-stream past the 1 MiB cap")
    func oversizeChunkedBody() async throws {
        let server = try await LocalHTTPServer.start { server in
            await server.appendRoute("GET /stream") { _ in
                FlyingFox.HTTPResponse(statusCode: .ok, body: HTTPBodySequence(from: ZeroBytes(total: 2 << 20)))
            }
        }
        defer { Task { await server.stop() } }

        let error = try await withTransport { transport in
            await #expect(throws: ATProtoHTTPError.self) {
                try await transport.send(ATProtoOAuth.HTTPRequest(method: "GET", url: server.url("/stream")))
            }
        }
        #expect(error?.code == .bodyTooLarge)
        #expect(error?.limit == 1 << 20)
    }

    @Test("R29: a server that never answers times out after 1 s, and the call returns promptly")
    func silentServerTimesOut() async throws {
        let server = try await LocalHTTPServer.start { server in
            await server.appendRoute("GET /never") { _ in
                try await Task.sleep(for: .seconds(3600))
                return FlyingFox.HTTPResponse(statusCode: .ok)
            }
        }
        defer { Task { await server.stop() } }

        var configuration = Self.loopbackConfiguration
        configuration.timeout = .seconds(1)
        let clock = ContinuousClock()
        let start = clock.now
        let error = try await withTransport(configuration) { transport in
            await #expect(throws: ATProtoHTTPError.self) {
                try await transport.send(ATProtoOAuth.HTTPRequest(method: "GET", url: server.url("/never")))
            }
        }
        let elapsed = clock.now - start
        #expect(error?.code == .timeout)
        #expect(error?.timeoutAfter == .seconds(1))
        // "/never" never answers: only the time-out ends the call. The bound only tells a hang
        // (a loaded machine once starved a whole test process for 28 s).
        #expect(elapsed < .seconds(60), "the 1 s timeout must end the call")
    }

    @Test("R29: http to a non-loopback host is insecureURL before any connection")
    func plainHTTPToRemoteHostIsRefused() async throws {
        // Even with the development flag on: it only ever covers loopback.
        let error = try await withTransport { transport in
            await #expect(throws: ATProtoHTTPError.self) {
                try await transport.send(
                    ATProtoOAuth.HTTPRequest(method: "GET", url: try #require(URL(string: "http://example.com/"))))
            }
        }
        #expect(error?.code == .insecureURL)
        #expect(error?.url == "http://example.com/")
        #expect(error?.description.contains("R29") == true)
    }

    @Test("R29: http to loopback is refused unless allowHTTPLoopback is set, and nothing is sent")
    func plainHTTPLoopbackNeedsTheFlag() async throws {
        let hits = HitCounter()
        let server = try await LocalHTTPServer.start { server in
            await server.appendRoute("GET /x") { _ in
                hits.hit()
                return FlyingFox.HTTPResponse(statusCode: .ok)
            }
        }
        defer { Task { await server.stop() } }

        let strict = HTTPClientTransport.Configuration(caFile: nil, proxy: nil)
        let error = try await withTransport(strict) { transport in
            await #expect(throws: ATProtoHTTPError.self) {
                try await transport.send(ATProtoOAuth.HTTPRequest(method: "GET", url: server.url("/x")))
            }
        }
        #expect(error?.code == .insecureURL)
        #expect(error?.description.contains("--allow-http-loopback") == true)
        #expect(hits.value == 0)

        // Same URL with the flag reaches the server.
        let response = try await withTransport { transport in
            try await transport.send(ATProtoOAuth.HTTPRequest(method: "GET", url: server.url("/x")))
        }
        #expect(response.status == 200)
        #expect(hits.value == 1)
    }

    @Test("A closed port is connectionRefused")
    func closedPortIsRefused() async throws {
        let url = try await LocalHTTPServer.closedURL()
        let error = try await withTransport { transport in
            await #expect(throws: ATProtoHTTPError.self) {
                try await transport.send(ATProtoOAuth.HTTPRequest(method: "GET", url: url))
            }
        }
        #expect(error?.code == .connectionRefused)
        #expect(error?.description.contains(":\(url.port ?? 0)") == true)
    }

    @Test("A missing CA file is invalidCAFile at init")
    func missingCAFile() throws {
        let error = #expect(throws: ATProtoHTTPError.self) {
            try HTTPClientTransport(configuration: .init(caFile: "/nonexistent/roots.pem", proxy: nil))
        }
        #expect(error?.code == .invalidCAFile)
        #expect(error?.description.contains("/nonexistent/roots.pem") == true)
        #expect(error?.description.contains("no such file") == true)
    }

    @Test("A CA file without PEM certificates is invalidCAFile at init")
    func garbageCAFile() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("atproto-http-\(UUID().uuidString).pem").path
        try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: ATProtoHTTPError.self) {
            try HTTPClientTransport(configuration: .init(caFile: path, proxy: nil))
        }
        #expect(error?.code == .invalidCAFile)
    }

    @Test("An unparseable proxy value is a proxy error at init, without its credentials")
    func invalidProxyAtInit() throws {
        let error = #expect(throws: ATProtoHTTPError.self) {
            try HTTPClientTransport(
                configuration: .init(
                    caFile: nil, proxy: ProxySettings(httpsProxy: "https://user:pw@proxy.example:3128")))
        }
        #expect(error?.code == .proxy)
        #expect(error?.description.contains("pw") == false)
    }

    @Test("https to a certificate outside the trust roots is a TLS error that names --ca-file")
    func untrustedCertificate() async throws {
        let server = try await LocalTLSServer.start()
        defer { Task { await server.stop() } }
        let error = try await withTransport(.init(caFile: nil, proxy: nil)) { transport in
            await #expect(throws: ATProtoHTTPError.self) {
                try await transport.send(ATProtoOAuth.HTTPRequest(method: "GET", url: server.url))
            }
        }
        #expect(error?.code == .tls)
        #expect(error?.description.contains("--ca-file") == true)
    }

    @Test("caFile adds a private certificate authority to the trust roots")
    func caFileTrustsPrivateAuthority() async throws {
        let server = try await LocalTLSServer.start()
        defer { Task { await server.stop() } }
        let path = try LocalTLSServer.writeCertificateFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let response = try await withTransport(.init(caFile: path, proxy: nil)) { transport in
            try await transport.send(ATProtoOAuth.HTTPRequest(method: "GET", url: server.url))
        }
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"tls":true}"#)
    }
}
