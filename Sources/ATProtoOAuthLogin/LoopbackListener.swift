import ATProtoOAuth
import FlyingFox
import FlyingSocks
import Foundation

/// The loopback redirect listener of a native client (RFC 8252 §7.3, R12).
///
/// Binds 127.0.0.1 (never `localhost`, whose resolution the user's machine controls), serves
/// exactly one `GET /callback`, answers every other path with 404 without ending the wait
/// (browsers ask for `/favicon.ico`), and shows the browser a short page saying whether the
/// login worked. The callback is judged by a closure the login flow supplies, so the page
/// tells the truth (a wrong `state` shows a failure page, not "you may close this window").
public actor LoopbackListener {
    /// What the browser delivered: the callback's query items, in order.
    public typealias Callback = [(String, String)]

    private let requestedPort: UInt16
    private let path: String
    private var server: HTTPServer?
    private var serverTask: Task<Void, any Error>?
    private var delivered: Callback?
    private var waiter: CheckedContinuation<Callback, any Error>?

    public init(port: UInt16 = 0, path: String = "/callback") {
        self.requestedPort = port
        self.path = path
    }

    /// Starts listening and returns the exact redirect URI, e.g. `http://127.0.0.1:53172/callback`.
    ///
    /// - Parameter judge: decides what the browser page says: `nil` for success, or the
    ///   reason the callback was refused.
    public func start(judge: @escaping @Sendable (Callback) -> String?) async throws -> URL {
        let address: sockaddr_in
        do {
            address = try .inet(ip4: "127.0.0.1", port: requestedPort)
        } catch {
            throw LoginError(.listener, "cannot make the loopback address 127.0.0.1:\(requestedPort)")
        }
        let server = HTTPServer(address: address, timeout: 15, logger: .disabled)
        let expectedPath = path
        await server.appendRoute(HTTPRoute(method: .GET, path: expectedPath)) { [weak self] request in
            let query = FormEncoding.decode(request.target.query(percentEncoded: true))
            let refusal = judge(query)
            await self?.deliver(query)
            return Self.page(refusal: refusal)
        }
        let task = Task { try await server.run() }
        do {
            try await server.waitUntilListening(timeout: 5)
        } catch {
            task.cancel()
            throw LoginError(
                .listener,
                "cannot listen on 127.0.0.1:\(requestedPort) (\(error)); choose another --port or use 0")
        }
        guard let port = await server.listeningAddress.flatMap(Self.port(of:)) else {
            task.cancel()
            throw LoginError(.listener, "the loopback listener has no address")
        }
        self.server = server
        self.serverTask = task
        guard let url = URL(string: "http://127.0.0.1:\(port)\(expectedPath)") else {
            throw LoginError(.listener, "cannot form the redirect URI for port \(port)")
        }
        return url
    }

    /// Waits for the one callback, or throws after `timeout` or on cancellation.
    public func waitForCallback(timeout: Duration) async throws -> Callback {
        if let delivered { return delivered }
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            await self?.fail(
                LoginError(.timeout, "no callback within \(timeout.seconds) s; the browser never returned"))
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if let delivered {
                    continuation.resume(returning: delivered)
                } else {
                    waiter = continuation
                }
            }
        } onCancel: {
            Task { await self.fail(CancellationError()) }
        }
    }

    /// Closes the socket. Safe to call more than once.
    public func stop() async {
        await server?.stop(timeout: 1)
        serverTask?.cancel()
        server = nil
        serverTask = nil
        fail(LoginError(.cancelled, "the listener was closed"))
    }

    private func deliver(_ callback: Callback) {
        guard delivered == nil else { return }  // one callback only (R18: state is single-use)
        delivered = callback
        waiter?.resume(returning: callback)
        waiter = nil
    }

    private func fail(_ error: any Error) {
        waiter?.resume(throwing: error)
        waiter = nil
    }

    private static func port(of address: Socket.Address) -> UInt16? {
        switch address {
        case .ip4(_, let port), .ip6(_, let port): return port
        default: return nil
        }
    }

    private static func page(refusal: String?) -> FlyingFox.HTTPResponse {
        let title = refusal == nil ? "Logged in" : "Login failed"
        let message =
            refusal.map { "The login was refused: \(htmlEscaped($0)). Return to the terminal for details." }
            ?? "atproto-oauth received the authorization. You can close this window and return to the terminal."
        let html = """
            <!doctype html><html><head><meta charset="utf-8"><title>\(title)</title></head>
            <body style="font-family: sans-serif; margin: 3em;"><h1>\(title)</h1><p>\(message)</p></body></html>
            """
        return FlyingFox.HTTPResponse(
            statusCode: refusal == nil ? .ok : .badRequest,
            headers: [.contentType: "text/html; charset=utf-8", .init("Cache-Control"): "no-store"],
            body: Data(html.utf8))
    }

    private static func htmlEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

extension Duration {
    /// Whole seconds, for messages.
    var seconds: Int64 { components.seconds }
}
