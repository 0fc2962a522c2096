import ATProtoOAuth
import Foundation

/// An ``HTTPClientTransport`` made on the first request (or by ``start()``).
///
/// The client (event-loop threads, a TLS context, parsed trust roots: ~4.5 MB resident) is
/// only worth making when a request is sent; an account list or a TUI that stays idle never
/// pays for it. ``shutdown()`` shuts it down if it was made; a request after that throws
/// `CancellationError` instead of making a new one.
public final class LazyHTTPClientTransport: HTTPTransport, @unchecked Sendable {
    private let make: @Sendable () throws -> HTTPClientTransport
    private let lock = NSLock()
    private var state: State = .idle  // guarded by lock

    private enum State {
        case idle
        case running(HTTPClientTransport)
        case shutDown
    }

    public init(make: @escaping @Sendable () throws -> HTTPClientTransport) {
        self.make = make
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await client().send(request)
    }

    /// Shuts the client down if one was made; later requests throw `CancellationError`.
    public func shutdown() async {
        let client: HTTPClientTransport? = lock.withLock {
            defer { state = .shutDown }
            if case .running(let client) = state { return client }
            return nil
        }
        try? await client?.shutdown()
    }

    /// Makes the client now, so a configuration that cannot work (a bad CA file, a bad
    /// proxy) fails before anything else starts.
    public func start() throws {
        _ = try client()
    }

    private func client() throws -> HTTPClientTransport {
        try lock.withLock {
            switch state {
            case .running(let client):
                return client
            case .idle:
                let client = try make()
                state = .running(client)
                return client
            case .shutDown:
                throw CancellationError()
            }
        }
    }
}

/// A transport that reports one line per request and response (`--verbose`).
///
/// Only the method, scheme, host and path are reported — never queries, headers or bodies,
/// which carry codes, tokens and proofs.
public struct LoggingTransport: HTTPTransport {
    public let base: any HTTPTransport
    private let log: @Sendable (String) -> Void

    public init(base: any HTTPTransport, log: @escaping @Sendable (String) -> Void) {
        self.base = base
        self.log = log
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let target = "\(request.url.originString ?? "")\(request.url.path(percentEncoded: true))"
        let start = ContinuousClock.now
        do {
            let response = try await base.send(request)
            log(
                "→ \(request.method) \(target) ← \(response.status) (\((ContinuousClock.now - start).wholeMilliseconds) ms)"
            )
            return response
        } catch {
            log("→ \(request.method) \(target) ✗ \(error)")
            throw error
        }
    }
}
