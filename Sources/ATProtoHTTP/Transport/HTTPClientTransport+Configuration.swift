import Foundation

extension HTTPClientTransport {
    /// The hardening knobs of R29 plus the environment a CLI user expects to be honoured.
    ///
    /// ```swift
    /// let transport = try HTTPClientTransport(configuration: .init(allowHTTPLoopback: true))
    /// defer { Task { try await transport.shutdown() } }
    /// ```
    public struct Configuration: Sendable {
        /// Permit plain `http://` to loopback hosts (127.0.0.0/8, ::1, localhost): the
        /// explicit development mode of R29. Non-loopback http is refused regardless.
        public var allowHTTPLoopback: Bool
        /// The limit for establishing a connection (TCP, plus TLS and proxy handshakes).
        public var connectTimeout: Duration
        /// The limit for a whole request, from the first byte sent to the last body byte.
        public var timeout: Duration
        /// The largest response body accepted; larger bodies are aborted mid-stream.
        public var maxBodyBytes: Int
        /// A PEM file of extra trust roots, added to the system ones. Defaults to
        /// `$SSL_CERT_FILE` when that is set.
        public var caFile: String?
        /// The proxy to use; defaults to the environment (`HTTPS_PROXY`, `NO_PROXY`, …).
        public var proxy: ProxySettings?
        /// Sent as `User-Agent` unless the request sets its own.
        public var userAgent: String

        /// The defaults suit the public network: https only, 10 s limits, a 1 MiB body cap,
        /// `SSL_CERT_FILE` and the proxy variables honoured.
        public init(
            allowHTTPLoopback: Bool = false,
            connectTimeout: Duration = .seconds(10),
            timeout: Duration = .seconds(10),
            maxBodyBytes: Int = 1 << 20,
            caFile: String? = Self.defaultCAFile,
            proxy: ProxySettings? = .fromEnvironment,
            userAgent: String = "atproto-oauth/0.1"
        ) {
            self.allowHTTPLoopback = allowHTTPLoopback
            self.connectTimeout = connectTimeout
            self.timeout = timeout
            self.maxBodyBytes = maxBodyBytes
            self.caFile = caFile
            self.proxy = proxy
            self.userAgent = userAgent
        }

        /// `$SSL_CERT_FILE`, the variable OpenSSL-based tools read for custom roots.
        public static var defaultCAFile: String? {
            guard let path = ProcessInfo.processInfo.environment["SSL_CERT_FILE"], !path.isEmpty else { return nil }
            return path
        }
    }
}
