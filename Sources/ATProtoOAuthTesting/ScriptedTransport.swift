import ATProtoOAuth
import Foundation

/// An ``HTTPTransport`` that answers from a script instead of the network, and records every
/// request it was sent, so unit tests of code built on the library run without sockets, DNS or
/// timing and can assert on exactly what went over the wire.
///
/// Routes match a URL (scheme, host, port and path; the query is ignored unless the route's
/// URL has one) and optionally a method, or any predicate. The most recently added matching
/// route answers, so a test can override a default. A request no route matches gets the
/// fallback answer (404 unless given), and is recorded like any other.
///
/// ```swift
/// let transport = ScriptedTransport()
/// transport.route("https://pds.example.com/xrpc/com.atproto.server.getSession",
///                 respond: .json(#"{"did":"did:plc:abc"}"#))
/// transport.route("https://as.example.com/oauth/token", method: "POST") { request in
///     ScriptedTransport.tokenResponse(subject: "did:plc:abc")
/// }
/// transport.route("https://down.example.com/", throwing: URLError(.cannotConnectToHost))
/// // …run the code under test with `transport`…
/// #expect(transport.requests(to: "https://as.example.com/oauth/token").count == 1)
/// ```
///
/// Thread-safe: it may be shared by concurrent tasks and re-scripted while they run.
/// ``peakInFlight`` counts how many requests were being answered at once — a counter, not a
/// clock, so a test of a concurrency bound does not depend on machine speed.
public final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    /// Answers one request. It may suspend (to hold a request in flight) or throw (a
    /// transport failure: no response arrived).
    public typealias Responder = @Sendable (HTTPRequest) async throws -> HTTPResponse

    private struct Route {
        let matches: @Sendable (HTTPRequest) -> Bool
        let respond: Responder
    }

    private let lock = NSLock()
    private var routes: [Route] = []  // guarded by lock; the last match wins
    private var recorded: [HTTPRequest] = []  // guarded by lock
    private var fallback: Responder  // guarded by lock
    private var current = 0  // guarded by lock
    private var peak = 0  // guarded by lock

    /// - Parameter fallback: the answer to a request no route matches; by default a 404 whose
    ///   JSON body names the request, so a missing route shows up in the failure message.
    public init(fallback: Responder? = nil) {
        self.fallback =
            fallback ?? { request in
                .json(
                    #"{"error":"NotFound","message":"no scripted route for \#(request.method) \#(request.url.absoluteString)"}"#,
                    status: 404)
            }
    }

    // MARK: Scripting

    /// Answers requests to `url` (and `method`, when given) with `respond`.
    public func route(_ url: String, method: String? = nil, _ respond: @escaping Responder) {
        let matcher = Self.matcher(url, method: method)
        route(where: matcher, respond)
    }

    /// Answers requests to `url` (and `method`, when given) with `respond`.
    public func route(_ url: URL, method: String? = nil, _ respond: @escaping Responder) {
        route(url.absoluteString, method: method, respond)
    }

    /// Answers every request to `url` (and `method`, when given) with the same response.
    public func route(_ url: String, method: String? = nil, respond response: HTTPResponse) {
        route(url, method: method) { _ in response }
    }

    /// Answers every request to `url` (and `method`, when given) with the same response.
    public func route(_ url: URL, method: String? = nil, respond response: HTTPResponse) {
        route(url.absoluteString, method: method) { _ in response }
    }

    /// Answers successive requests to `url` with `responses` in order, repeating the last one
    /// once they are used up: a server that changes its answer (a nonce challenge, then 200).
    public func route(_ url: String, method: String? = nil, responses: [HTTPResponse]) {
        let queue = ResponseQueue(responses)
        route(url, method: method) { _ in queue.next() }
    }

    /// Makes every request to `url` (and `method`, when given) fail with `error`, as a
    /// transport does when no response arrives (connection refused, timeout, TLS failure).
    public func route(_ url: String, method: String? = nil, throwing error: any Error & Sendable) {
        route(url, method: method) { _ in throw error }
    }

    /// Answers the requests `matches` accepts with `respond`: hosts, path prefixes, bodies.
    public func route(
        where matches: @escaping @Sendable (HTTPRequest) -> Bool, _ respond: @escaping Responder
    ) {
        lock.withLock { routes.append(Route(matches: matches, respond: respond)) }
    }

    /// Replaces the answer to requests no route matches.
    public func setFallback(_ respond: @escaping Responder) {
        lock.withLock { fallback = respond }
    }

    /// Forgets every route (the fallback stays).
    public func removeAllRoutes() {
        lock.withLock { routes = [] }
    }

    // MARK: Assertions

    /// Every request sent, in the order they arrived: method, URL, headers and body.
    public var requests: [HTTPRequest] {
        lock.withLock { recorded }
    }

    /// The requests sent to `url` (matched as routes match: the query is ignored unless `url`
    /// has one), optionally only those with `method`.
    public func requests(to url: String, method: String? = nil) -> [HTTPRequest] {
        let matches = Self.matcher(url, method: method)
        return requests.filter(matches)
    }

    /// The requests sent to `url`; see ``requests(to:method:)-(String,_)``.
    public func requests(to url: URL, method: String? = nil) -> [HTTPRequest] {
        requests(to: url.absoluteString, method: method)
    }

    /// Forgets the recorded requests and the in-flight peak (routes stay).
    public func clearRequests() {
        lock.withLock {
            recorded = []
            peak = current
        }
    }

    /// How many requests are being answered right now.
    public var inFlight: Int {
        lock.withLock { current }
    }

    /// The most requests ever answered at once since creation or ``clearRequests()``.
    public var peakInFlight: Int {
        lock.withLock { peak }
    }

    // MARK: HTTPTransport

    /// Records `request`, then answers it from the newest matching route, or the fallback.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let respond: Responder = lock.withLock {
            recorded.append(request)
            current += 1
            peak = max(peak, current)
            return routes.last(where: { $0.matches(request) })?.respond ?? fallback
        }
        defer { lock.withLock { current -= 1 } }
        return try await respond(request)
    }

    /// `url` without query or fragment, unless `keepQuery`: how routes compare URLs.
    static func key(_ url: URL, keepQuery: Bool) -> String {
        guard !keepQuery, var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else {
            return url.absoluteString
        }
        components.query = nil
        components.fragment = nil
        return components.string ?? url.absoluteString
    }

    static func matcher(_ url: String, method: String?) -> @Sendable (HTTPRequest) -> Bool {
        let keepQuery = url.contains("?")
        let wanted = URL(string: url).map { key($0, keepQuery: keepQuery) } ?? url
        return { request in
            if let method, request.method.caseInsensitiveCompare(method) != .orderedSame { return false }
            return key(request.url, keepQuery: keepQuery) == wanted
        }
    }
}

/// Hands out scripted responses in order, then repeats the last.
private final class ResponseQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var remaining: [HTTPResponse]  // guarded by lock

    init(_ responses: [HTTPResponse]) { remaining = responses }

    func next() -> HTTPResponse {
        lock.withLock {
            guard let first = remaining.first else { return HTTPResponse(status: 500) }
            if remaining.count > 1 { remaining.removeFirst() }
            return first
        }
    }
}

/// A failure a script can throw where a real transport would (no response arrived), naming
/// what it stands for.
public struct ScriptedTransportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What the scripted failure stands for, e.g. "connection refused".
    public var description: String

    /// A failure described by `description`.
    public init(_ description: String) {
        self.description = description
    }
}
