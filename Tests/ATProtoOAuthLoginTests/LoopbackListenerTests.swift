import ATProtoHTTP
import ATProtoOAuth
import Foundation
import Testing

@testable import ATProtoOAuthLogin

/// The real loopback listener on 127.0.0.1:0, judged by the login flow's own judge (R18).
@Suite("Loopback listener (R18)")
struct LoopbackListenerTests {
    static let state = "state-of-this-login-0123456789abcdefghijklmno"
    static let issuer = "https://as.example"

    /// Starts a listener judged like a login expecting `state` and `issuer`, runs `body` with
    /// it, its redirect URI and a loopback HTTP client; always stops both.
    private func withListener(
        _ body: (LoopbackListener, URL, HTTPClientTransport) async throws -> Void
    ) async throws {
        let listener = LoopbackListener()
        let redirectURI = try await listener.start { query in
            LoginFlow.judge(query, expectedState: Self.state, expectedIssuer: Self.issuer)
        }
        let transport = try HTTPClientTransport(
            configuration: .init(allowHTTPLoopback: true, connectTimeout: .seconds(60), timeout: .seconds(60)))
        let outcome: Result<Void, any Error>
        do {
            outcome = .success(try await body(listener, redirectURI, transport))
        } catch {
            outcome = .failure(error)
        }
        await listener.stop()
        try await transport.shutdown()
        try outcome.get()
    }

    private func get(
        _ transport: HTTPClientTransport, _ redirectURI: URL, _ query: [(String, String)]
    ) async throws -> (status: Int, page: String) {
        let url = try #require(URL(string: redirectURI.absoluteString + "?" + FormEncoding.encode(query)))
        let response = try await transport.send(HTTPRequest(method: "GET", url: url))
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }

    /// Whether the wait has ended, polled without ending it.
    private final class Finished: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Result<LoopbackListener.Callback, any Error>?
        func set(_ result: Result<LoopbackListener.Callback, any Error>) { lock.withLock { value = result } }
        var result: Result<LoopbackListener.Callback, any Error>? { lock.withLock { value } }
    }

    private func waiting(_ listener: LoopbackListener) -> (Task<LoopbackListener.Callback, any Error>, Finished) {
        let finished = Finished()
        let task = Task {
            do {
                let callback = try await listener.waitForCallback(timeout: .seconds(20))
                finished.set(.success(callback))
                return callback
            } catch {
                finished.set(.failure(error))
                throw error
            }
        }
        return (task, finished)
    }

    @Test("R18: a /callback without this login's state gets 400 and the listener keeps waiting; the real one ends it")
    func strayCallbacksDoNotEndTheWait() async throws {
        try await withListener { listener, redirectURI, transport in
            let (wait, finished) = waiting(listener)
            let strays: [[(String, String)]] = [
                [("state", "forged"), ("iss", Self.issuer), ("code", "stolen-code")],
                // A forged denial: neither ends the login nor is shown as one.
                [("state", "forged"), ("iss", Self.issuer), ("error", "access_denied")],
                [("iss", Self.issuer), ("error", "access_denied"), ("error_description", "forged")],
                [("code", "no-state")],
                [("state", Self.state), ("state", "forged"), ("iss", Self.issuer), ("code", "twice")],
            ]
            for query in strays {
                let (status, page) = try await get(transport, redirectURI, query)
                #expect(status == 400, "\(query)")
                #expect(page.contains("Request ignored") && !page.contains("Logged in"), "\(query)")
                #expect(!page.contains("access_denied"), "\(query)")
            }
            try await Task.sleep(for: .milliseconds(200))
            #expect(finished.result == nil, "a stray callback ended the wait")

            let real = [("state", Self.state), ("iss", Self.issuer), ("code", "real-code")]
            let (status, page) = try await get(transport, redirectURI, real)
            #expect(status == 200)
            #expect(page.contains("Logged in"))
            let delivered = try await wait.value
            #expect(delivered.map(\.0) == real.map(\.0) && delivered.map(\.1) == real.map(\.1))
            #expect(
                try AuthorizationCallback(query: delivered).validate(
                    expectedState: Self.state, expectedIssuer: Self.issuer) == "real-code")

            // One callback only: the state is spent.
            let again = try await get(transport, redirectURI, real)
            #expect(again.status == 400 && again.page.contains("already received"))
        }
    }

    @Test("R18: this login's state with a wrong iss is answered 400 and ends the wait (RFC 9207: reject, never retry)")
    func wrongIssuerEndsTheLogin() async throws {
        try await withListener { listener, redirectURI, transport in
            let (wait, _) = waiting(listener)
            let mixedUp = [("state", Self.state), ("iss", "https://other-as.example"), ("code", "c")]
            let (status, page) = try await get(transport, redirectURI, mixedUp)
            #expect(status == 400)
            #expect(page.contains("Login failed") && page.contains("iss"))
            let delivered = try await wait.value
            let error = #expect(throws: ATProtoOAuthError.self) {
                try AuthorizationCallback(query: delivered).validate(
                    expectedState: Self.state, expectedIssuer: Self.issuer)
            }
            #expect(error?.code == .invalidCallback && error?.field == "iss" && error?.rule == "R18")
        }
    }

    @Test("R18: a real denial (state and iss match) ends the wait; the page says the login failed")
    func realDenialIsDelivered() async throws {
        try await withListener { listener, redirectURI, transport in
            let (wait, _) = waiting(listener)
            let denied = [("state", Self.state), ("iss", Self.issuer), ("error", "access_denied")]
            let (status, page) = try await get(transport, redirectURI, denied)
            #expect(status == 400 && page.contains("Login failed"))
            let delivered = try await wait.value
            let error = #expect(throws: ATProtoOAuthError.self) {
                try AuthorizationCallback(query: delivered).validate(
                    expectedState: Self.state, expectedIssuer: Self.issuer)
            }
            #expect(error?.code == .authorizationDenied)
        }
    }

    @Test("A callback is handed over once its page is written, and also when the browser hung up before that")
    func callbackFromABrowserThatHungUp() async throws {
        try await withListener { listener, redirectURI, _ in
            let (wait, _) = waiting(listener)
            let port = try #require(redirectURI.port)
            let query = FormEncoding.encode([("state", Self.state), ("iss", Self.issuer), ("code", "c1")])
            try Self.sendAndHangUp("GET /callback?\(query) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", port: port)
            let delivered = try await wait.value
            #expect(delivered.first { $0.0 == "code" }?.1 == "c1")
        }
    }

    /// Sends `request` on a new connection to 127.0.0.1:`port` and closes it without reading.
    private static func sendAndHangUp(_ request: String, port: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(connected == 0)
        let bytes = Array(request.utf8)
        try #require(send(fd, bytes, bytes.count, 0) == bytes.count)
    }

    @Test("R18: a login that times out after ignoring strays says so")
    func timeoutCountsIgnoredRequests() async throws {
        try await withListener { listener, redirectURI, transport in
            _ = try await get(transport, redirectURI, [("state", "forged"), ("code", "x")])
            let error = await #expect(throws: LoginError.self) {
                try await listener.waitForCallback(timeout: .milliseconds(300))
            }
            #expect(error?.code == .timeout)
            #expect(
                error?.reason.contains("1 request(s) to the callback without this login's state were ignored") == true)
        }
    }
}
