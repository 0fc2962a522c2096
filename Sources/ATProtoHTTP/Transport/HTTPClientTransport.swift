import ATProtoOAuth
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// The real ``HTTPTransport``: AsyncHTTPClient with the hardening of R29.
///
/// - https only; plain http only to loopback and only with
///   ``Configuration/allowHTTPLoopback`` — checked before any connection is made.
/// - Redirects are never followed: a 3xx is an ``ATProtoHTTPError`` naming the `Location`.
/// - The body is streamed and aborted past ``Configuration/maxBodyBytes``.
/// - One deadline covers the whole request, body included.
///
/// One transport holds one pooled, keep-alive `HTTPClient` (plus one per configured proxy,
/// since a proxy is a per-client setting in AsyncHTTPClient and `NO_PROXY` hosts must go
/// direct), because on a real network the handshakes, not the bytes, are what cost time.
/// Call ``shutdown()`` once when done: AsyncHTTPClient requires it.
///
/// ```swift
/// let transport = try HTTPClientTransport()
/// let response = try await transport.send(HTTPRequest(method: "GET", url: url))
/// try await transport.shutdown()
/// ```
public struct HTTPClientTransport: HTTPTransport {
    /// The settings the transport was made with; fixed for its lifetime.
    public let configuration: Configuration

    private let direct: HTTPClient
    private let httpsProxied: HTTPClient?
    private let httpProxied: HTTPClient?
    private let httpsProxy: ProxyEndpoint?
    private let httpProxy: ProxyEndpoint?

    /// Validates the configuration (proxy values, CA file) and creates the clients.
    /// - Throws: ``ATProtoHTTPError`` with code `.proxy` or `.invalidCAFile`.
    public init(configuration: Configuration = .init()) throws {
        self.configuration = configuration

        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = configuration.caFile {
            tls.additionalTrustRoots = [.certificates(try Self.loadTrustRoots(caFile))]
        }
        let httpsProxy = try configuration.proxy?.httpsProxy.map { try ProxyEndpoint(parsing: $0) }
        let httpProxy = try configuration.proxy?.httpProxy.map { try ProxyEndpoint(parsing: $0) }
        self.httpsProxy = httpsProxy
        self.httpProxy = httpProxy

        // Everything that can throw is done: from here on clients exist and must be shut down.
        direct = Self.makeClient(configuration, tls: tls, proxy: nil)
        httpsProxied = httpsProxy.map { Self.makeClient(configuration, tls: tls, proxy: $0) }
        if let httpProxy, httpProxy == httpsProxy {
            httpProxied = httpsProxied
        } else {
            httpProxied = httpProxy.map { Self.makeClient(configuration, tls: tls, proxy: $0) }
        }
    }

    /// Shuts down every client; the transport cannot be used afterwards.
    public func shutdown() async throws {
        try await direct.shutdown()
        try await httpsProxied?.shutdown()
        if let httpProxied, httpProxied !== httpsProxied {
            try await httpProxied.shutdown()
        }
    }

    /// Sends `request` and returns the complete response (any non-3xx status).
    /// - Throws: ``ATProtoHTTPError``: `.insecureURL` (before any connection), `.redirect`
    ///   for a 3xx, `.bodyTooLarge`, `.timeout`, `.connectionRefused`, `.tls`, …;
    ///   `CancellationError` when the calling task is cancelled.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let url = request.url
        try checkURL(url)
        let route = self.route(for: url)
        let prepared = try prepare(request)
        let timeout = configuration.timeout
        do {
            return try await withThrowingTaskGroup(of: HTTPResponse?.self) { group in
                group.addTask { try await self.execute(prepared, url: url, client: route.client) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let response = first else {
                    throw ATProtoHTTPError.timeout(url, after: timeout)
                }
                return response
            }
        } catch let error as ATProtoHTTPError {
            throw error
        } catch let error as CancellationError {
            throw error
        } catch {
            throw ErrorMapping.map(error, url: url, proxy: route.proxy, configuration: configuration)
        }
    }

    // MARK: - Steps

    /// R29: refuse before connecting, so an insecure URL never leaks even a TCP handshake.
    private func checkURL(_ url: URL) throws(ATProtoHTTPError) {
        guard url.scheme != nil else {
            throw .invalidURL(url, reason: "no scheme; use an absolute https:// URL")
        }
        guard let host = url.host(percentEncoded: false), !host.isEmpty else {
            throw .invalidURL(url, reason: "no host")
        }
        if url.transportSecurityProblem(allowHTTPLoopback: configuration.allowHTTPLoopback) != nil {
            throw .insecureURL(url, allowHTTPLoopback: configuration.allowHTTPLoopback)
        }
    }

    func route(for url: URL) -> (client: HTTPClient, proxy: ProxyEndpoint?) {
        let host = url.host(percentEncoded: false) ?? ""
        if url.isLoopback || configuration.proxy?.bypasses(host: host) ?? true {
            return (direct, nil)
        }
        if url.scheme?.lowercased() == "https", let httpsProxied {
            return (httpsProxied, httpsProxy)
        }
        if url.scheme?.lowercased() == "http", let httpProxied {
            return (httpProxied, httpProxy)
        }
        return (direct, nil)
    }

    private func prepare(_ request: HTTPRequest) throws(ATProtoHTTPError) -> HTTPClientRequest {
        let method = request.method.uppercased()
        guard !method.isEmpty, method.allSatisfy({ $0.isLetter && $0.isASCII }) else {
            throw .invalidRequest(request.url, reason: "method \"\(request.method)\" is not an HTTP method")
        }
        var prepared = HTTPClientRequest(url: request.url.absoluteString)
        prepared.method = HTTPMethod(rawValue: method)
        for (name, value) in request.headers {
            prepared.headers.add(name: name, value: value)
        }
        if !prepared.headers.contains(name: "User-Agent") {
            prepared.headers.add(name: "User-Agent", value: configuration.userAgent)
        }
        if let body = request.body {
            prepared.body = .bytes(ByteBuffer(bytes: body))
        }
        return prepared
    }

    private func execute(_ prepared: HTTPClientRequest, url: URL, client: HTTPClient) async throws -> HTTPResponse {
        let deadline = NIODeadline.now() + TimeAmount(configuration.timeout)
        let response = try await client.execute(prepared, deadline: deadline)
        let status = Int(response.status.code)
        // 304 Not Modified is a cache answer, not a redirect.
        if (300...399).contains(status), status != 304 {
            throw ATProtoHTTPError.redirect(url, status: status, location: response.headers.first(name: "Location"))
        }
        let limit = configuration.maxBodyBytes
        if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > limit {
            throw ATProtoHTTPError.bodyTooLarge(url, limit: limit)
        }
        var body = Data()
        for try await chunk in response.body {
            guard body.count + chunk.readableBytes <= limit else {
                // Leaving the loop drops the stream, which makes AsyncHTTPClient close the connection.
                throw ATProtoHTTPError.bodyTooLarge(url, limit: limit)
            }
            body.append(contentsOf: chunk.readableBytesView)
        }
        let headers = response.headers.map { (name: $0.name, value: $0.value) }
        return HTTPResponse(status: status, headers: headers, body: body)
    }

    // MARK: - Setup

    private static func loadTrustRoots(_ path: String) throws(ATProtoHTTPError) -> [NIOSSLCertificate] {
        guard FileManager.default.isReadableFile(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw .invalidCAFile(path: path, reason: exists ? "not readable" : "no such file")
        }
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw .invalidCAFile(path: path, reason: "not a PEM certificate file (\(error))")
        }
        guard !certificates.isEmpty else {
            throw .invalidCAFile(path: path, reason: "holds no PEM certificate")
        }
        return certificates
    }

    private static func makeClient(
        _ configuration: Configuration, tls: TLSConfiguration, proxy: ProxyEndpoint?
    ) -> HTTPClient {
        var pool = HTTPClient.Configuration.ConnectionPool()
        // Fail a refused or unreachable connection now instead of retrying until the
        // connect timeout: the caller decides about retries.
        pool.retryConnectionEstablishment = false
        // HTTP/1.1 servers get one request per connection at a time: `refresh --all --jobs 64`
        // against one authorization server needs 64 (AsyncHTTPClient keeps 8 by default, which
        // queued the rest). Connections only open when requests need them.
        pool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        var clientConfiguration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: .init(
                connect: TimeAmount(configuration.connectTimeout),
                read: TimeAmount(configuration.timeout)),
            connectionPool: pool,
            proxy: proxy.map(Self.ahcProxy),
            decompression: .disabled
        )
        clientConfiguration.httpVersion = .automatic
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
    }

    private static func ahcProxy(_ endpoint: ProxyEndpoint) -> HTTPClient.Configuration.Proxy {
        switch endpoint.kind {
        case .socks5:
            return .socksServer(host: endpoint.host, port: endpoint.port)
        case .http:
            let authorization = endpoint.username.map {
                HTTPClient.Authorization.basic(username: $0, password: endpoint.password ?? "")
            }
            return .server(host: endpoint.host, port: endpoint.port, authorization: authorization)
        }
    }
}
