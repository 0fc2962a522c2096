import ATProtoLoopbackServer
import ATProtoOAuth
import Foundation

/// The loopback redirect listener of a native client (RFC 8252 §7.3, R12).
///
/// Binds 127.0.0.1 (never `localhost`, whose resolution the user's machine controls), delivers
/// exactly one `GET /callback`, answers every other path with 404 without ending the wait
/// (browsers ask for `/favicon.ico`), and shows the browser a short page saying whether the
/// login worked. Each callback is judged by a closure the login flow supplies, so the page
/// tells the truth, and so that only this login's callback ends the wait (R18): any process
/// on the machine can reach a loopback port, and a stray or forged `/callback` without the
/// login's `state` is answered 400 and dropped while the listener keeps waiting.
public actor LoopbackListener {
    /// What the browser delivered: the callback's query items, in order.
    public typealias Callback = [(String, String)]

    /// What the judge makes of one `/callback` request.
    public enum Verdict: Sendable, Hashable {
        /// This login's callback, and good: a 200 page; delivered, the wait ends.
        case accept
        /// This login's callback, refused for this reason (R18): a 400 page; delivered all the
        /// same, because its `state` is now spent, and the wait ends.
        case refuse(String)
        /// Not this login's callback (no or another `state`), for this reason: a 400 page; not
        /// delivered, the wait goes on.
        case ignore(String)

        /// Whether the callback ends the wait.
        var delivers: Bool {
            if case .ignore = self { return false }
            return true
        }
    }

    /// Where the delivered callback came from.
    public enum Source: Sendable, Hashable {
        /// A browser's request to the listener.
        case listener
        /// An address the person pasted (``submitPasted(_:)``, `login --paste`).
        case pasted
    }

    private let requestedPort: UInt16
    private let path: String
    private var server: LoopbackHTTPServer?
    /// The callback judged this login's (accepted or refused): no other is judged after it.
    private var delivered: Callback?
    /// ``delivered``, once the browser has its page (at once for a pasted one): what
    /// ``waitForCallback(timeout:)`` returns.
    private var handedOver: Callback?
    /// Where ``delivered`` came from, once a callback has been delivered.
    public private(set) var deliveredSource: Source?
    private var judge: (@Sendable (Callback) -> Verdict)?
    /// Requests to the callback path that were not this login's (R18), for the timeout message.
    private var ignored = 0
    private var waiter: CheckedContinuation<Callback, any Error>?

    public init(port: UInt16 = 0, path: String = "/callback") {
        self.requestedPort = port
        self.path = path
    }

    /// Starts listening and returns the exact redirect URI, e.g. `http://127.0.0.1:53172/callback`.
    ///
    /// - Parameter judge: decides whether a callback ends the wait and what the browser page
    ///   says. It is called once per request until one is delivered; requests after that are
    ///   answered 400 without asking it (one callback only: `state` is single-use, R18).
    public func start(judge: @escaping @Sendable (Callback) -> Verdict) async throws -> URL {
        self.judge = judge
        let expectedPath = path
        let server: LoopbackHTTPServer
        do {
            server = try await LoopbackHTTPServer.start(port: Int(requestedPort), maxBodySize: 64 << 10) {
                [weak self] request in
                // Browsers also ask for /favicon.ico: 404, and the wait goes on.
                guard request.method == "GET", request.path == expectedPath else {
                    return LoopbackHTTPResponse(status: 404, headers: [("Content-Type", "text/plain")])
                }
                let query = FormEncoding.decode(request.query ?? "")
                guard let self else { return Self.page(.ignore("the login has ended")) }
                let verdict = await self.receive(query, from: .listener, judge: judge)
                var page = Self.page(verdict)
                // The login goes on once the page is written: see `LoopbackHTTPResponse.written`.
                if verdict.delivers { page.written = { Task { await self.handOver() } } }
                return page
            }
        } catch {
            throw LoginError(
                .listener, "cannot listen on 127.0.0.1:\(requestedPort) (\(error)); choose another --port or use 0",
                underlying: error)
        }
        self.server = server
        guard let url = URL(string: "http://127.0.0.1:\(server.port)\(expectedPath)") else {
            throw LoginError(.listener, "cannot form the redirect URI for port \(server.port)")
        }
        return url
    }

    /// Waits for the one callback, or throws after `timeout` or on cancellation.
    public func waitForCallback(timeout: Duration) async throws -> Callback {
        if let handedOver { return handedOver }
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            await self?.timeOut(after: timeout)
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if let handedOver {
                    continuation.resume(returning: handedOver)
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
        let running = server
        server = nil
        await running?.stop()
        fail(LoginError(.cancelled, "the listener was closed"))
    }

    /// Judges a callback the person pasted — the address their browser ended on, or only its
    /// query — exactly as a request to the listener (R18), for a browser that cannot reach
    /// this machine's loopback (over SSH). The first callback accepted or refused, pasted or
    /// requested, ends the wait; one without this login's `state` is ignored and the wait
    /// goes on. The returned verdict's reason never quotes the pasted text (it may hold a code).
    public func submitPasted(_ text: String) -> Verdict {
        guard let judge else { return .ignore("the listener is not running") }
        switch PastedCallback.query(text, callbackPath: path) {
        case .success(let query): return receive(query, from: .pasted, judge: judge)
        case .failure(let problem): return .ignore(problem.reason)
        }
    }

    /// Judges and, unless ignored, delivers one callback, atomically: two callbacks racing each
    /// other (two requests, or a request and a paste) cannot both be delivered.
    private func receive(
        _ callback: Callback, from source: Source, judge: @Sendable (Callback) -> Verdict
    ) -> Verdict {
        guard delivered == nil else {
            return .ignore("this login already received its callback, and its state is single-use (R18)")
        }
        let verdict = judge(callback)
        guard verdict.delivers else {
            if source == .listener { ignored += 1 }
            return verdict
        }
        delivered = callback
        deliveredSource = source
        if source == .pasted { handOver() }
        return verdict
    }

    /// Ends the wait with the delivered callback.
    private func handOver() {
        guard let delivered, handedOver == nil else { return }
        handedOver = delivered
        waiter?.resume(returning: delivered)
        waiter = nil
    }

    private func timeOut(after timeout: Duration) {
        // A callback arrived but its page is still being written: the browser did return.
        if delivered != nil {
            handOver()
            return
        }
        let strays =
            ignored == 0
            ? "" : "; \(ignored) request(s) to the callback without this login's state were ignored (R18)"
        fail(LoginError(.timeout, "no callback within \(timeout.seconds) s; the browser never returned\(strays)"))
    }

    private func fail(_ error: any Error) {
        waiter?.resume(throwing: error)
        waiter = nil
    }

    private static func page(_ verdict: Verdict) -> LoopbackHTTPResponse {
        let title: String
        let message: String
        switch verdict {
        case .accept:
            title = "Logged in"
            message =
                "atproto-oauth received the authorization. You can close this window and return to the terminal."
        case .refuse(let reason):
            title = "Login failed"
            message = "The login was refused: \(htmlEscaped(reason)). Return to the terminal for details."
        case .ignore(let reason):
            title = "Request ignored"
            message =
                "This request was ignored: \(htmlEscaped(reason)). A login in progress keeps waiting for its own callback."
        }
        let html = """
            <!doctype html><html><head><meta charset="utf-8"><title>\(title)</title></head>
            <body style="font-family: sans-serif; margin: 3em;"><h1>\(title)</h1><p>\(message)</p></body></html>
            """
        return LoopbackHTTPResponse(
            status: verdict == .accept ? 200 : 400,
            headers: [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")],
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
