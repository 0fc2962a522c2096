import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

extension EndToEnd {
    /// `atproto-oauth proxy`: started as a child process, used with this test's own HTTP
    /// client the way curl or another SDK would, stopped with SIGTERM.
    @Suite("proxy")
    struct ProxyCommandTests {
        @Test(
            "R22/R25: bearer-guarded /xrpc/* forwarding with DPoP; 401 without the token, 404 elsewhere; SIGTERM → exit 0"
        )
        func proxyLendsTheSession() async throws {
            try await withHarness(["--auto-approve", "--access-ttl", "2"]) { cli in
                let did = try await cli.loggedIn("alice.test")
                let child = try cli.spawn(["proxy", "alice.test"])
                let line = try await Self.infoLine(of: child)
                #expect(line.did == did)
                #expect(line.url.hasPrefix("http://127.0.0.1:"), "\(line.url)")
                #expect(Data(base64URL: line.token)?.count == 32, "32 random bytes, base64url: \(line.token)")
                let http = ProxyClient(base: line.url)
                defer { http.close() }

                let session = try await http.send("/xrpc/com.atproto.server.getSession", token: line.token)
                #expect(session.status == 200, "\(session)")
                #expect(session.json?["did"] as? String == did, "\(session)")
                #expect(session.header("DPoP-Nonce") == nil, "the session's nonce stays in the proxy")

                let none = try await http.send("/xrpc/com.atproto.server.getSession", token: nil)
                #expect(none.status == 401, "\(none)")
                let wrong = try await http.send("/xrpc/com.atproto.server.getSession", token: line.token + "x")
                #expect(wrong.status == 401, "\(wrong)")
                let dpop = try await http.send(
                    "/xrpc/com.atproto.server.getSession", token: nil, headers: ["Authorization": "DPoP \(line.token)"])
                #expect(dpop.status == 401, "only the Bearer scheme is accepted:\n\(dpop)")
                let elsewhere = try await http.send("/.well-known/oauth-protected-resource", token: line.token)
                #expect(elsewhere.status == 404, "\(elsewhere)")
                let root = try await http.send("/xrpc/", token: line.token)
                #expect(root.status == 404, "\(root)")

                // Query, body, content type and atproto-proxy pass through.
                let listed = try await http.send(
                    "/xrpc/com.atproto.repo.listRecords?collection=a.b.c&collection=d.e.f", token: line.token,
                    headers: ["atproto-proxy": "did:web:api.bsky.app#bsky_appview"])
                #expect(listed.status == 200, "\(listed)")
                let received = listed.json?["received"] as? [String: Any]
                #expect(received?["atprotoProxy"] as? String == "did:web:api.bsky.app#bsky_appview", "\(listed)")
                #expect((received?["query"] as? [[String]])?.filter { $0[0] == "collection" }.count == 2, "\(listed)")
                let created = try await http.send(
                    "/xrpc/com.atproto.repo.createRecord", method: "POST", token: line.token,
                    headers: ["Content-Type": "application/json"],
                    body: Data(
                        #"{"repo":"\#(did)","collection":"app.bsky.feed.post","record":{"text":"via proxy"}}"#.utf8))
                #expect(created.status == 200, "\(created)")
                #expect(
                    ((created.json?["received"] as? [String: Any])?["record"] as? [String: Any])?["text"] as? String
                        == "via proxy", "\(created)")
                let upload = try await http.send(
                    "/xrpc/com.atproto.repo.uploadBlob", method: "POST", token: line.token,
                    headers: ["Content-Type": "image/png"], body: TinyPNG.bytes)
                #expect(
                    ((upload.json?["blob"] as? [String: Any])?["size"] as? NSNumber)?.intValue == TinyPNG.bytes.count,
                    "\(upload)")

                // The access token lives 2 s: after it expired the proxy refreshes (R24/R25) on its own.
                let before = try cli.home.secrets(of: did)["access_token"]
                try await Task.sleep(for: .seconds(3))
                let later = try await http.send("/xrpc/com.atproto.server.getSession", token: line.token)
                #expect(later.status == 200, "\(later)")
                #expect(try cli.home.secrets(of: did)["access_token"] != before, "the proxy refreshed and saved")

                // A non-2xx answer of the PDS comes back as it is.
                let refused = try await http.send("/xrpc/com.atproto.repo.listRecords?cursor=99", token: line.token)
                #expect(refused.status == 400, "\(refused)")
                #expect(refused.json?["error"] as? String == "InvalidRequest", "\(refused)")

                child.signal(SIGTERM)
                let result = await child.wait(timeout: .seconds(10))
                #expect(result.exitCode == 0 && !result.signalled, "\(result)")
                #expect(result.stdout.split(separator: "\n").count == 1, "one JSON line:\n\(result)")
                #expect(!result.stderr.contains(line.token), "the bearer token only appears in the JSON line")
                let secrets = try cli.home.secrets(of: did)
                #expect(leakedSecrets(secrets, in: result.allOutput).isEmpty, "\(result)")
                let after = try? await http.send("/xrpc/com.atproto.server.getSession", token: line.token)
                #expect(after == nil, "nothing listens after SIGTERM")
            }
        }

        @Test("a fixed --port is used; SIGINT stops it too")
        func fixedPortAndSIGINT() async throws {
            try await withHarness { cli in
                try await cli.loggedIn("alice.test")
                let port = try Self.freePort()
                let child = try cli.spawn(["proxy", "--port", String(port)])
                let line = try await Self.infoLine(of: child)
                #expect(line.url == "http://127.0.0.1:\(port)", "\(line.url)")
                let http = ProxyClient(base: line.url)
                defer { http.close() }
                let session = try await http.send("/xrpc/com.atproto.server.getSession", token: line.token)
                #expect(session.status == 200, "\(session)")
                child.signal(SIGINT)
                let result = await child.wait(timeout: .seconds(10))
                #expect(result.exitCode == 0 && !result.signalled, "\(result)")
            }
        }

        struct InfoLine: Decodable {
            var did: String
            var token: String
            var url: String
        }

        /// Waits for the proxy's one JSON line.
        static func infoLine(of child: ChildProcess) async throws -> InfoLine {
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                let out = child.stdout
                if let newline = out.firstIndex(of: "\n") {
                    return try JSONDecoder().decode(InfoLine.self, from: Data(out[..<newline].utf8))
                }
                if !child.isRunning {
                    let result = await child.wait(timeout: .seconds(1))
                    throw SupportError("proxy exited before printing its line:\n\(result)")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            child.signal(SIGKILL)
            throw SupportError("proxy printed no line within 20 s:\n\(await child.wait(timeout: .seconds(1)))")
        }

        /// A port that was free a moment ago (bound to 0, read, closed).
        static func freePort() throws -> Int {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw SupportError("socket() failed") }
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else { throw SupportError("bind() failed") }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            guard named == 0 else { throw SupportError("getsockname() failed") }
            return Int(UInt16(bigEndian: address.sin_port))
        }
    }
}

/// The test's own HTTP client for the proxy (what curl would be): URLSession, no cookies, no
/// cache.
final class ProxyClient: Sendable {
    let base: String
    private let session: URLSession

    init(base: String) {
        self.base = base
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 20
        session = URLSession(configuration: configuration)
    }

    struct Answer: CustomStringConvertible {
        var status: Int
        var headers: [String: String]
        var body: Data

        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: body) as? [String: Any] }

        func header(_ name: String) -> String? {
            headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
        }

        var description: String { "HTTP \(status) \(headers)\n\(String(decoding: body, as: UTF8.self))" }
    }

    func send(
        _ path: String, method: String = "GET", token: String?, headers: [String: String] = [:], body: Data? = nil
    ) async throws -> Answer {
        let url = try #require(URL(string: base + path))
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body
        let (data, response) = try await session.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { fields[name] = value }
        }
        return Answer(status: http.statusCode, headers: fields, body: data)
    }

    func close() {
        session.invalidateAndCancel()
    }
}

extension Data {
    /// base64url without padding, decoded.
    init?(base64URL text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }
}
