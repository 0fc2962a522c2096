import ATProtoOAuth
import ATProtoOAuthClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Lends an account's session to other programs: an HTTP server on 127.0.0.1 that forwards
/// `/xrpc/*` to the account's PDS through ``OAuthClient/send(_:method:path:query:headers:body:)``,
/// so the DPoP proof (with `ath`), the PDS nonce, the refresh on `invalid_token` (R25) and a
/// moved PDS are handled here, and the caller needs no key and no token of the account.
///
/// Every request must carry `Authorization: Bearer <token>` — ``token``, random per proxy
/// (32 bytes, base64url) and compared in constant time: other users of the machine can
/// reach 127.0.0.1 too. Without it the answer is 401; a path outside `/xrpc/` is 404; a body
/// over ``maxBodySize`` is 413. The caller's `Authorization` is never forwarded; its
/// `Content-Type`, `Accept`, `Accept-Language`, `atproto-proxy` and `atproto-accept-labelers`
/// are. The PDS's status, headers (without hop-by-hop ones and `DPoP-Nonce`) and body come
/// back.
///
/// ```swift
/// let proxy = SessionProxy(client: client, did: did)
/// try await proxy.run { url in print(url, proxy.token) }   // until the task is cancelled
/// ```
public struct SessionProxy: Sendable {
    /// The client whose session store and policies serve the requests.
    public let client: OAuthClient
    /// The account whose session is lent.
    public let did: DID
    /// The port on 127.0.0.1; 0 picks a free one.
    public let port: Int
    /// The bearer token callers must present. A secret: show it only to whoever may use
    /// the account.
    public let token: String
    /// The largest request body accepted, in bytes.
    public let maxBodySize: Int

    /// - Parameters:
    ///   - token: the bearer token to require; `nil` draws 32 random bytes (base64url).
    ///   - maxBodySize: larger request bodies get 413 (default 64 MiB: blobs fit).
    public init(client: OAuthClient, did: DID, port: Int = 0, token: String? = nil, maxBodySize: Int = 64 << 20) {
        self.client = client
        self.did = did
        self.port = port
        self.token = token ?? Self.randomToken()
        self.maxBodySize = max(0, maxBodySize)
    }

    /// Listens on 127.0.0.1:``port``, calls `onListening` with the proxy's base URL
    /// (`http://127.0.0.1:PORT`), and serves until the calling task is cancelled; then stops
    /// accepting, ends every connection (requests in flight are cancelled) and returns.
    ///
    /// - Throws: `ATProtoOAuthError(.transport)` when the port cannot be bound.
    public func run(onListening: @Sendable (URL) async -> Void = { _ in }) async throws {
        let server: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
        do {
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: "127.0.0.1", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                            wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw ATProtoOAuthError(.transport, field: "proxy", "cannot listen on 127.0.0.1:\(port): \(error)")
        }
        do {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    guard let bound = server.channel.localAddress?.port,
                        let url = URL(string: "http://127.0.0.1:\(bound)")
                    else {
                        throw ATProtoOAuthError(.transport, field: "proxy", "the listener has no address")
                    }
                    await onListening(url)
                    for try await connection in connections {
                        group.addTask { await serve(connection) }
                    }
                }
            }
        } catch {
            // Cancellation is how the proxy is stopped, not a failure.
            if error is CancellationError || Task.isCancelled { return }
            throw error
        }
    }

    // MARK: Connections

    private typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    /// One request being read: what to do with it, and its body when it is forwarded.
    private struct Incoming {
        var head: HTTPRequestHead
        var decision: Decision
        var body = ByteBuffer()
    }

    private enum Decision {
        case forward(path: String, query: String)
        /// Answer without asking the PDS; `close` ends the connection after the answer.
        case reply(ProxyReply, close: Bool)
    }

    /// Requests on one connection are answered in order; connections run in parallel.
    private func serve(_ connection: Connection) async {
        try? await connection.executeThenClose { inbound, outbound in
            var incoming: Incoming?
            for try await part in inbound {
                switch part {
                case .head(let head):
                    incoming = Incoming(head: head, decision: decide(head))
                    if case .reply(let reply, close: true)? = incoming?.decision {
                        try await write(reply, for: head, keepAlive: false, to: outbound)
                        return
                    }
                case .body(var chunk):
                    guard let current = incoming, case .forward = current.decision else { continue }
                    if current.body.readableBytes + chunk.readableBytes > maxBodySize {
                        try await write(Self.tooLarge(maxBodySize), for: current.head, keepAlive: false, to: outbound)
                        return
                    }
                    incoming?.body.writeBuffer(&chunk)
                case .end:
                    guard let current = incoming else { continue }
                    incoming = nil
                    let reply: ProxyReply
                    switch current.decision {
                    case .reply(let answer, _): reply = answer
                    case .forward(let path, let query): reply = await forward(current, path: path, query: query)
                    }
                    let keepAlive = current.head.isKeepAlive
                    try await write(reply, for: current.head, keepAlive: keepAlive, to: outbound)
                    if !keepAlive { return }
                }
            }
        }
    }

    /// Decided from the head alone: the bearer token first (nothing is revealed without
    /// it), then the path, then a declared body size.
    private func decide(_ head: HTTPRequestHead) -> Decision {
        guard head.headers["authorization"].count == 1, let presented = head.headers.first(name: "authorization"),
            Self.bearerMatches(presented, token)
        else {
            return .reply(
                ProxyReply.error(
                    401, "AuthenticationRequired",
                    "this proxy needs Authorization: Bearer <token>, the token it printed when it started",
                    extra: [("WWW-Authenticate", "Bearer realm=\"atproto-oauth proxy\"")]), close: false)
        }
        let (path, query) = Self.split(head.uri)
        guard path.hasPrefix("/xrpc/"), path.count > "/xrpc/".count else {
            return .reply(ProxyReply.error(404, "NotFound", "this proxy serves /xrpc/* only"), close: false)
        }
        if let declared = head.headers.first(name: "content-length").flatMap(Int.init), declared > maxBodySize {
            return .reply(Self.tooLarge(maxBodySize), close: true)
        }
        return .forward(path: path, query: query)
    }

    private func forward(_ request: Incoming, path: String, query: String) async -> ProxyReply {
        var headers: [(name: String, value: String)] = []
        for name in Self.forwardedRequestHeaders {
            for value in request.head.headers[name] { headers.append((name, value)) }
        }
        var buffer = request.body
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        let hasBody = !bytes.isEmpty || request.head.headers.first(name: "content-length") != nil
        do {
            let response = try await client.send(
                did, method: request.head.method.rawValue, path: path, query: FormEncoding.decode(query),
                headers: headers, body: hasBody ? Data(bytes) : nil)
            let kept = response.headers.filter { !Self.droppedResponseHeaders.contains($0.name.lowercased()) }
            return ProxyReply(status: response.status, headers: kept, body: response.body)
        } catch let error as ATProtoOAuthError where error.code == .needsLogin || error.code == .issuerChanged {
            return ProxyReply.error(502, "ProxySessionNeedsLogin", error.description)
        } catch {
            return ProxyReply.error(502, "ProxyUpstreamError", "the PDS could not be asked: \(error)")
        }
    }

    private func write(
        _ reply: ProxyReply, for head: HTTPRequestHead, keepAlive: Bool,
        to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws {
        var headers = HTTPHeaders()
        for (name, value) in reply.headers { headers.add(name: name, value: value) }
        headers.replaceOrAdd(name: "Content-Length", value: String(reply.body.count))
        headers.replaceOrAdd(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        try await outbound.write(
            .head(HTTPResponseHead(version: head.version, status: .init(statusCode: reply.status), headers: headers)))
        if head.method != .HEAD, !reply.body.isEmpty {
            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: reply.body))))
        }
        try await outbound.write(.end(nil))
    }

    // MARK: Policy

    /// Request headers a caller may set for the PDS; everything else stays here.
    static let forwardedRequestHeaders = [
        "content-type", "accept", "accept-language", "atproto-proxy", "atproto-accept-labelers",
    ]

    /// Response headers that describe the PDS connection, not the answer (RFC 9110 §7.6.1),
    /// the length (set anew), and the session's DPoP nonce.
    static let droppedResponseHeaders: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
        "trailer", "transfer-encoding", "upgrade", "content-length", "dpop-nonce",
    ]

    /// `Bearer <token>` (scheme case-insensitive), compared in constant time.
    static func bearerMatches(_ header: String, _ token: String) -> Bool {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].caseInsensitiveCompare("Bearer") == .orderedSame else { return false }
        return constantTimeEqual(String(parts[1]).trimmingCharacters(in: .whitespaces), token)
    }

    /// Compares SHA-256 digests byte by byte without stopping early, so the time taken says
    /// nothing about how much of a guess was right.
    static func constantTimeEqual(_ presented: String, _ expected: String) -> Bool {
        let a = Array(SHA256.hash(data: Data(presented.utf8)))
        let b = Array(SHA256.hash(data: Data(expected.utf8)))
        var difference: UInt8 = 0
        for index in 0..<min(a.count, b.count) { difference |= a[index] ^ b[index] }
        return difference == 0 && a.count == b.count
    }

    /// The path and the raw query of a request target.
    static func split(_ uri: String) -> (path: String, query: String) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri, "") }
        return (String(uri[..<mark]), String(uri[uri.index(after: mark)...]))
    }

    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    private static func tooLarge(_ limit: Int) -> ProxyReply {
        ProxyReply.error(413, "PayloadTooLarge", "the request body is over this proxy's limit of \(limit) bytes")
    }
}

/// One answer the proxy writes.
private struct ProxyReply: Sendable {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: Data

    /// An XRPC error object, `{"error", "message"}`.
    static func error(
        _ status: Int, _ error: String, _ message: String, extra: [(name: String, value: String)] = []
    ) -> ProxyReply {
        let object = JSONValue.object(["error": .string(error), "message": .string(message)])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(object)) ?? Data()
        return ProxyReply(status: status, headers: [("Content-Type", "application/json")] + extra, body: body)
    }
}
