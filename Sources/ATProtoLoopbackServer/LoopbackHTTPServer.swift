import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A request as a loopback server's handler sees it: plain values, independent of SwiftNIO.
package struct LoopbackHTTPRequest: Sendable {
    package var method: String
    /// The request target as sent: the percent-encoded path and, after `?`, the query.
    package var target: String
    /// Header fields in order, names as sent.
    package var headers: [(name: String, value: String)]
    package var body: Data

    /// The percent-encoded path, without the query.
    package var path: String { String(target.prefix { $0 != "?" }) }

    /// The percent-encoded query (without `?`), or `nil` when there is none.
    package var query: String? {
        guard let mark = target.firstIndex(of: "?") else { return nil }
        return String(target[target.index(after: mark)...])
    }
}

/// A handler's answer. `Content-Length` is set by the server.
package struct LoopbackHTTPResponse: Sendable {
    package var status: Int
    package var headers: [(name: String, value: String)]
    package var body: Data
    /// Called once the answer has been written to the connection — or could not be, because
    /// the connection was gone. A login acts on its callback only then, so that a process
    /// exiting soon after (a token request that failed) cannot cut the browser's page off.
    package var written: (@Sendable () -> Void)?

    package init(
        status: Int, headers: [(name: String, value: String)] = [], body: Data = Data(),
        written: (@Sendable () -> Void)? = nil
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.written = written
    }
}

/// A small HTTP/1.1 server on a loopback address, on SwiftNIO — the one network stack the
/// HTTP client already ships — for the login's loopback listener and the dev network.
///
/// Each request is answered by an async handler; keep-alive and pipelining are handled by
/// NIO's server pipeline; `TCP_NODELAY` is set so small answers are not held back by Nagle's
/// algorithm against the client's delayed ACK (≈40 ms a request). Bodies over `maxBodySize`
/// get 413. `stop()` closes the listening socket and every open connection, cancelling
/// handlers that still run (a hanging handler ends there).
package final class LoopbackHTTPServer: Sendable {
    package typealias Handler = @Sendable (LoopbackHTTPRequest) async -> LoopbackHTTPResponse

    /// The port the server listens on (the one asked for, or the one the system picked for 0).
    package let port: Int
    private let channel: any Channel
    private let connections: ConnectionSet

    private init(port: Int, channel: any Channel, connections: ConnectionSet) {
        self.port = port
        self.channel = channel
        self.connections = connections
    }

    /// Binds `host:port` (0 picks a free port) and starts answering with `handler`.
    package static func start(
        host: String = "127.0.0.1", port: Int = 0, maxBodySize: Int = 1 << 20, handler: @escaping Handler
    ) async throws -> LoopbackHTTPServer {
        let connections = ConnectionSet()
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                connections.add(channel)
                return channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
                    channel.pipeline.addHandler(RequestHandler(maxBodySize: maxBodySize, handler: handler))
                }
            }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        guard let bound = channel.localAddress?.port else {
            try? await channel.close()
            throw LoopbackHTTPServerError("the server socket has no local port")
        }
        return LoopbackHTTPServer(port: bound, channel: channel, connections: connections)
    }

    /// Stops listening and closes every connection; handlers still running are cancelled.
    package func stop() async {
        try? await channel.close()
        await connections.closeAll()
    }
}

/// Why a loopback server could not start.
package struct LoopbackHTTPServerError: Error, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}

/// The open connections, so `stop()` can close them (a browser keeps its connection alive).
private final class ConnectionSet: @unchecked Sendable {
    private let lock = NSLock()
    private var channels: [ObjectIdentifier: any Channel] = [:]  // guarded by lock

    func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        lock.withLock { channels[id] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            self?.lock.withLock { _ = self?.channels.removeValue(forKey: id) }
        }
    }

    func closeAll() async {
        for channel in lock.withLock({ Array(channels.values) }) { try? await channel.close() }
    }
}

/// Collects one request (head, body, end), runs the handler in a task, writes the answer.
/// Requests on one connection are answered in order (NIO's pipeline holds pipelined ones).
private final class RequestHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let maxBodySize: Int
    private let handler: LoopbackHTTPServer.Handler
    // Touched on the channel's event loop only.
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var tooLarge = false
    private var running: Task<Void, Never>?

    init(maxBodySize: Int, handler: @escaping LoopbackHTTPServer.Handler) {
        self.maxBodySize = maxBodySize
        self.handler = handler
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
            tooLarge = false
        case .body(var chunk):
            if body.readableBytes + chunk.readableBytes > maxBodySize {
                tooLarge = true
            } else {
                body.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            let keepAlive = head.isKeepAlive
            if tooLarge {
                write(LoopbackHTTPResponse(status: 413), version: head.version, keepAlive: false, context: context)
                return
            }
            let request = LoopbackHTTPRequest(
                method: head.method.rawValue, target: head.uri,
                headers: head.headers.map { (name: $0.name, value: $0.value) },
                body: Data(body.readableBytesView))
            let handler = handler
            let loop = context.eventLoop
            let box = NIOLoopBound((self, context), eventLoop: loop)
            running = Task {
                let response = await handler(request)
                loop.execute {
                    let (this, context) = box.value
                    this.running = nil
                    this.write(response, version: head.version, keepAlive: keepAlive, context: context)
                }
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        running?.cancel()
        running = nil
        context.fireChannelInactive()
    }

    private func write(
        _ response: LoopbackHTTPResponse, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext
    ) {
        guard context.channel.isActive else {
            response.written?()
            return
        }
        var headers = HTTPHeaders(response.headers.map { ($0.name, $0.value) })
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let head = HTTPResponseHead(
            version: version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !response.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
        }
        let done = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
        let channel = context.channel
        done.futureResult.whenComplete { _ in
            response.written?()
            if !keepAlive { channel.close(promise: nil) }
        }
    }
}
