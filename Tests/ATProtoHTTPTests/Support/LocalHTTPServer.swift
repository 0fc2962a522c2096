import FlyingFox
import FlyingSocks
import Foundation

/// A FlyingFox server on 127.0.0.1 with an ephemeral port, for driving the real transport.
struct LocalHTTPServer {
    let server: HTTPServer
    let task: Task<Void, any Error>
    let port: UInt16
    /// The host part of URLs: `127.0.0.1` or `[::1]`, whichever the socket is bound to.
    let host: String

    /// Starts a server after `configure` has added its routes, and waits until it listens.
    static func start(_ configure: (HTTPServer) async -> Void) async throws -> LocalHTTPServer {
        let server = HTTPServer(address: .loopback(port: 0), logger: .disabled)
        await configure(server)
        let task = Task { try await server.run() }
        try await server.waitUntilListening()
        switch await server.listeningAddress {
        case .ip4(_, let port):
            return LocalHTTPServer(server: server, task: task, port: port, host: "127.0.0.1")
        case .ip6(_, let port):
            return LocalHTTPServer(server: server, task: task, port: port, host: "[::1]")
        default:
            task.cancel()
            throw LocalServerError("server is not listening on a loopback IP address")
        }
    }

    func url(_ path: String) -> URL {
        URL(string: "http://\(host):\(port)\(path)") ?? URL(fileURLWithPath: "/")
    }

    func stop() async {
        await server.stop(timeout: 0)
        task.cancel()
    }

    /// A loopback URL that nothing listens on: bound by a server that is then stopped.
    static func closedURL() async throws -> URL {
        let server = try await start { _ in }
        await server.stop()
        return server.url("/")
    }
}

struct LocalServerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Counts requests a handler sees, across the server's tasks.
final class HitCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func hit() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

/// `total` zero bytes served in small chunks without a Content-Length (chunked encoding),
/// so the transport must enforce its cap while streaming.
struct ZeroBytes: AsyncBufferedSequence {
    typealias Element = UInt8
    let total: Int

    func makeAsyncIterator() -> Iterator { Iterator(remaining: total) }

    struct Iterator: AsyncBufferedIteratorProtocol {
        var remaining: Int

        mutating func next() async -> UInt8? {
            guard remaining > 0 else { return nil }
            remaining -= 1
            return 0
        }

        mutating func nextBuffer(suggested count: Int) async -> [UInt8]? {
            guard remaining > 0 else { return nil }
            let size = Swift.min(count, remaining, 16_384)
            remaining -= size
            return [UInt8](repeating: 0, count: size)
        }
    }
}
