import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The TLS mode's front door: an HTTP CONNECT proxy on 127.0.0.1 that is also the far end
/// of every tunnel.
///
/// A client with `HTTPS_PROXY=http://127.0.0.1:PORT` asks `CONNECT plc.devnet.atproto-oauth.dev:443`;
/// the proxy answers 200, terminates TLS itself with the network's certificate (see
/// ``DevCertificateAuthority``) and splices the decrypted bytes to the plain-http listener
/// of the part that owns the host. So clients speak real TLS to real-looking https origins
/// on port 443, while every byte stays on loopback.
///
/// It connects nowhere else: a host it does not know, a port other than 443, or a method
/// other than CONNECT is refused (403 / 405) before any connection is made, and a listener
/// that cannot be reached is a 502.
final class DevTLSProxy: Sendable {
    /// The port on 127.0.0.1 the proxy listens on.
    let port: Int
    private let channel: any Channel

    private init(port: Int, channel: any Channel) {
        self.port = port
        self.channel = channel
    }

    /// Binds 127.0.0.1:`port` (0 = an ephemeral port) and starts accepting.
    /// - Parameter routes: lower-cased host name → the loopback port of the plain-http
    ///   listener serving it.
    static func start(
        routes: [String: Int], tls: NIOSSLContext, port: Int = 0, logger: Logger
    ) async throws -> DevTLSProxy {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 128)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(decoder)
                    try sync.addHandler(
                        DevConnectHandler(decoder: decoder, routes: routes, tls: tls, logger: logger))
                }
            }
        let channel = try await bootstrap.bind(host: "127.0.0.1", port: port).get()
        guard let actualPort = channel.localAddress?.port else {
            try? await channel.close()
            throw ATProtoDevServerError(.startFailed, part: "proxy", "has no listening address")
        }
        return DevTLSProxy(port: actualPort, channel: channel)
    }

    /// Stops accepting. Open tunnels end when the listeners behind them stop.
    func stop() async {
        try? await channel.close()
    }
}

/// One client connection before it becomes a tunnel: reads the CONNECT request, decides,
/// connects to the listener, answers, then replaces the HTTP decoder and itself with a TLS
/// server handler and a glue handler.
final class DevConnectHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer

    private enum State {
        case idle
        /// A CONNECT to a known host: connect at the request's end.
        case accepted(host: String, upstreamPort: Int)
        /// Anything else: answer `status` at the request's end, then close.
        case refused(HTTPResponseStatus, String)
        /// Connecting, answered, or closing: ignore the rest.
        case done
    }

    private let decoder: ByteToMessageHandler<HTTPRequestDecoder>
    private let routes: [String: Int]
    private let tls: NIOSSLContext
    private let logger: Logger
    private var state = State.idle

    init(
        decoder: ByteToMessageHandler<HTTPRequestDecoder>, routes: [String: Int], tls: NIOSSLContext,
        logger: Logger
    ) {
        self.decoder = decoder
        self.routes = routes
        self.tls = tls
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            guard case .idle = state else { return }
            state = decide(head)
        case .body:
            break
        case .end:
            switch state {
            case .accepted(let host, let upstreamPort):
                state = .done
                connect(context, host: host, upstreamPort: upstreamPort)
            case .refused(let status, let reason):
                state = .done
                logger.info("proxy: refused: \(reason)")
                respond(context, status, reason)
            case .idle, .done:
                break
            }
        }
    }

    /// Only `CONNECT <one of our hosts>:443`.
    private func decide(_ head: HTTPRequestHead) -> State {
        guard head.method == .CONNECT else {
            return .refused(.methodNotAllowed, "\(head.method) \(head.uri): this proxy only tunnels CONNECT")
        }
        guard let colon = head.uri.lastIndex(of: ":"), let port = Int(head.uri[head.uri.index(after: colon)...])
        else {
            return .refused(.badRequest, "CONNECT \(head.uri): expected host:port")
        }
        let host = head.uri[..<colon].lowercased()
        guard let upstreamPort = routes[host] else {
            return .refused(.forbidden, "CONNECT \(head.uri): not a host of this dev network")
        }
        guard port == 443 else {
            return .refused(.forbidden, "CONNECT \(head.uri): only port 443 is served")
        }
        return .accepted(host: host, upstreamPort: upstreamPort)
    }

    private func connect(_ context: ChannelHandlerContext, host: String, upstreamPort: Int) {
        ClientBootstrap(group: context.eventLoop)
            .connectTimeout(.seconds(5))
            .connect(host: "127.0.0.1", port: upstreamPort)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let upstream):
                    self.tunnel(context, to: upstream, host: host)
                case .failure(let error):
                    self.logger.info("proxy: \(host): listener 127.0.0.1:\(upstreamPort) unreachable: \(error)")
                    self.respond(context, .badGateway, "\(host): the dev network listener is not reachable")
                }
            }
    }

    /// Answers 200 and turns this connection into a TLS tunnel to `upstream`. Runs on the
    /// event loop both channels share, so no byte can arrive between the steps.
    private func tunnel(_ context: ChannelHandlerContext, to upstream: any Channel, host: String) {
        guard context.channel.isActive else {
            upstream.close(promise: nil)
            return
        }
        let (local, remote) = DevGlueHandler.matchedPair()
        do {
            try upstream.pipeline.syncOperations.addHandler(remote)
            context.writeAndFlush(
                wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 200 Connection established\r\n\r\n")), promise: nil)
            let pipeline = context.pipeline.syncOperations
            try pipeline.addHandler(NIOSSLServerHandler(context: tls))
            try pipeline.addHandler(local)
            // Self first, then the decoder: the bytes the decoder held back after CONNECT (a
            // TLS ClientHello sent early) go to the TLS handler, not to this HTTP handler.
            pipeline.removeHandler(context: context, promise: nil)
            pipeline.removeHandler(decoder, promise: nil)
        } catch {
            logger.info("proxy: \(host): cannot set up the tunnel: \(error)")
            upstream.close(promise: nil)
            context.close(promise: nil)
        }
    }

    /// A plain-text answer, then close.
    private func respond(_ context: ChannelHandlerContext, _ status: HTTPResponseStatus, _ reason: String) {
        let body = reason + "\n"
        let text =
            "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text)))
            .assumeIsolated()
            .whenComplete { _ in context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A malformed request line: nothing sensible to answer.
        context.close(promise: nil)
    }
}
