import ATProtoOAuth
import Foundation

/// The one error type of the transport module: HTTP (``HTTPClientTransport``) and DNS TXT
/// (``ResolvTXTResolver``) failures.
///
/// A public struct wrapping a private kind enum (the async-http-client pattern) so cases
/// can grow without breaking callers. Branch on ``code``; read the case's values through
/// ``location``, ``status``, ``limit`` and ``timeoutAfter``.
///
/// Every description names the URL as `scheme://host[:port]/path` only: query strings and
/// fragments can carry authorization codes or state, so they are never printed. It then
/// says what to do about it.
///
/// ```swift
/// do { _ = try await transport.send(request) }
/// catch let error as ATProtoHTTPError where error.code == .redirect {
///     print(error.location ?? "no Location header")
/// }
/// ```
public struct ATProtoHTTPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Broad classes of failure, stable for callers that branch on them.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case insecureURL, invalidURL, invalidRequest, redirect, bodyTooLarge, timeout
            case connectFailed, connectionRefused, connectionClosed, tls, proxy, dns
            case invalidCAFile, invalidNameserver, shutDown, failed
        }
        fileprivate let base: Base
        fileprivate init(_ base: Base) { self.base = base }

        /// The code's name, e.g. `timeout`, for logs and JSON output.
        public var description: String { base.rawValue }

        /// A non-https URL to a non-loopback host, or loopback http without the development flag (R29).
        public static let insecureURL = Code(.insecureURL)
        /// The URL has no host or an unsupported scheme.
        public static let invalidURL = Code(.invalidURL)
        /// The request itself is malformed (invalid method or header).
        public static let invalidRequest = Code(.invalidRequest)
        /// The server answered 3xx; redirects are never followed (R29).
        public static let redirect = Code(.redirect)
        /// The response body exceeded the configured cap (R29).
        public static let bodyTooLarge = Code(.bodyTooLarge)
        /// No connection or no complete response within the configured time (R29).
        public static let timeout = Code(.timeout)
        /// The TCP connection could not be established for a reason other than a refusal.
        public static let connectFailed = Code(.connectFailed)
        /// Nothing listens on the host and port.
        public static let connectionRefused = Code(.connectionRefused)
        /// The server closed the connection before a complete response.
        public static let connectionClosed = Code(.connectionClosed)
        /// TLS handshake or certificate verification failed.
        public static let tls = Code(.tls)
        /// The proxy configuration is invalid or the proxy failed.
        public static let proxy = Code(.proxy)
        /// A DNS look-up failed (host resolution or TXT query).
        public static let dns = Code(.dns)
        /// The extra trust-root file (`caFile`, `SSL_CERT_FILE`) is missing or holds no PEM certificate.
        public static let invalidCAFile = Code(.invalidCAFile)
        /// The pinned nameserver is not `IPv4[:PORT]`.
        public static let invalidNameserver = Code(.invalidNameserver)
        /// The transport was used after `shutdown()`.
        public static let shutDown = Code(.shutDown)
        /// Anything else the HTTP stack reported.
        public static let failed = Code(.failed)
    }

    fileprivate enum Kind: Hashable, Sendable {
        case insecureURL(allowHTTPLoopback: Bool)
        case invalidURL(reason: String)
        case invalidRequest(reason: String)
        case redirect(status: Int, location: String?)
        case bodyTooLarge(limit: Int)
        case timeout(after: Duration, connecting: Bool)
        case connectFailed(target: String, reason: String)
        case connectionRefused(target: String)
        case connectionClosed
        case tls(reason: String)
        case proxy(proxy: String, reason: String)
        case dns(name: String, nameserver: String, reason: String)
        case invalidCAFile(path: String, reason: String)
        case invalidNameserver(value: String, reason: String)
        case shutDown
        case failed(reason: String)
    }

    private let kind: Kind
    /// The request URL as `scheme://host[:port]/path` (no credentials, query or fragment);
    /// `nil` for errors not tied to a request (DNS, configuration).
    public let url: String?

    private init(_ kind: Kind, url: URL?) {
        self.kind = kind
        self.url = url.map(\.redactedForDisplay)
    }

    /// The class of failure, for callers that branch; ``description`` is for people.
    public var code: Code {
        switch kind {
        case .insecureURL: .insecureURL
        case .invalidURL: .invalidURL
        case .invalidRequest: .invalidRequest
        case .redirect: .redirect
        case .bodyTooLarge: .bodyTooLarge
        case .timeout: .timeout
        case .connectFailed: .connectFailed
        case .connectionRefused: .connectionRefused
        case .connectionClosed: .connectionClosed
        case .tls: .tls
        case .proxy: .proxy
        case .dns: .dns
        case .invalidCAFile: .invalidCAFile
        case .invalidNameserver: .invalidNameserver
        case .shutDown: .shutDown
        case .failed: .failed
        }
    }

    /// For ``Code/redirect``: the `Location` header, redacted like ``url``.
    public var location: String? {
        if case .redirect(_, let location) = kind { return location }
        return nil
    }

    /// For ``Code/redirect``: the 3xx status.
    public var status: Int? {
        if case .redirect(let status, _) = kind { return status }
        return nil
    }

    /// For ``Code/bodyTooLarge``: the cap in bytes.
    public var limit: Int? {
        if case .bodyTooLarge(let limit) = kind { return limit }
        return nil
    }

    /// For ``Code/timeout``: the limit that was exceeded.
    public var timeoutAfter: Duration? {
        if case .timeout(let after, _) = kind { return after }
        return nil
    }

    /// For ``Code/dns``: the queried name (a TXT name or the host being connected to).
    public var name: String? {
        if case .dns(let name, _, _) = kind { return name }
        return nil
    }

    /// What failed, on which redacted URL, and what to do about it.
    public var description: String {
        let subject = url ?? ""
        let prefix = subject.isEmpty ? "" : "\(subject): "
        switch kind {
        case .insecureURL(let allowHTTPLoopback):
            let hint =
                allowHTTPLoopback
                ? "only https is allowed, and plain http only to loopback hosts (127.0.0.1, ::1, localhost)"
                : "only https is allowed; plain http to a loopback host needs the explicit development mode "
                    + "(--allow-http-loopback)"
            return "R29 \(prefix)insecure URL refused before connecting: \(hint)."
        case .invalidURL(let reason):
            return "\(prefix)invalid URL: \(reason)."
        case .invalidRequest(let reason):
            return "\(prefix)invalid request: \(reason)."
        case .redirect(let status, let location):
            return "R29 \(prefix)server answered \(status) redirecting to \(location ?? "(no Location header)"); "
                + "redirects are never followed: use the final URL directly or fix the server."
        case .bodyTooLarge(let limit):
            return "R29 \(prefix)response body exceeds the \(limit)-byte limit and was aborted; "
                + "no ATProto document is that large: check the URL (or raise maxBodyBytes if this is expected)."
        case .timeout(let after, let connecting):
            let what = connecting ? "no connection" : "no complete response"
            return "R29 \(prefix)\(what) within \(Self.format(after)); "
                + "check that the server is reachable (and HTTPS_PROXY/NO_PROXY), or raise the timeout."
        case .connectFailed(let target, let reason):
            return "\(prefix)could not connect to \(target): \(reason); "
                + "check the host name and your network (and HTTPS_PROXY/NO_PROXY)."
        case .connectionRefused(let target):
            return "\(prefix)connection refused by \(target): nothing is listening there; "
                + "check the port and that the server is running."
        case .connectionClosed:
            return "\(prefix)the server closed the connection before a complete response; try again later."
        case .tls(let reason):
            return "\(prefix)TLS failed: \(reason); if the server uses a private certificate authority, "
                + "pass its PEM file with --ca-file or SSL_CERT_FILE."
        case .proxy(let proxy, let reason):
            return "\(prefix)proxy \(proxy) failed: \(reason); check HTTPS_PROXY/HTTP_PROXY and NO_PROXY."
        case .dns(let name, let nameserver, let reason):
            return "\(prefix)DNS look-up of \(name) via \(nameserver) failed: \(reason); "
                + "check the name, your network, or pin a nameserver with --dns-server."
        case .invalidCAFile(let path, let reason):
            return "CA file \(path): \(reason); pass a readable PEM file of trust roots (--ca-file or SSL_CERT_FILE)."
        case .invalidNameserver(let value, let reason):
            return "nameserver \"\(value)\": \(reason); expected an IPv4 address with an optional port, "
                + "like 127.0.0.1:5353."
        case .shutDown:
            return "\(prefix)the HTTP transport was already shut down; create a new one."
        case .failed(let reason):
            return "\(prefix)request failed: \(reason)."
        }
    }

    private static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if attoseconds == 0 { return "\(seconds)s" }
        let millis = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return "\(millis)ms"
    }
}

// Internal constructors: only this module creates transport errors.
extension ATProtoHTTPError {
    static func insecureURL(_ url: URL, allowHTTPLoopback: Bool) -> Self {
        .init(.insecureURL(allowHTTPLoopback: allowHTTPLoopback), url: url)
    }
    static func invalidURL(_ url: URL, reason: String) -> Self { .init(.invalidURL(reason: reason), url: url) }
    static func invalidRequest(_ url: URL, reason: String) -> Self {
        .init(.invalidRequest(reason: reason), url: url)
    }
    static func redirect(_ url: URL, status: Int, location: String?) -> Self {
        .init(.redirect(status: status, location: location.map(Self.redactLocation)), url: url)
    }
    static func bodyTooLarge(_ url: URL, limit: Int) -> Self { .init(.bodyTooLarge(limit: limit), url: url) }
    static func timeout(_ url: URL, after: Duration, connecting: Bool = false) -> Self {
        .init(.timeout(after: after, connecting: connecting), url: url)
    }
    static func connectFailed(_ url: URL, target: String, reason: String) -> Self {
        .init(.connectFailed(target: target, reason: reason), url: url)
    }
    static func connectionRefused(_ url: URL, target: String) -> Self {
        .init(.connectionRefused(target: target), url: url)
    }
    static func connectionClosed(_ url: URL) -> Self { .init(.connectionClosed, url: url) }
    static func tls(_ url: URL, reason: String) -> Self { .init(.tls(reason: reason), url: url) }
    static func proxy(_ url: URL?, proxy: String, reason: String) -> Self {
        .init(.proxy(proxy: proxy, reason: reason), url: url)
    }
    static func dns(_ url: URL?, name: String, nameserver: String, reason: String) -> Self {
        .init(.dns(name: name, nameserver: nameserver, reason: reason), url: url)
    }
    static func invalidCAFile(path: String, reason: String) -> Self {
        .init(.invalidCAFile(path: path, reason: reason), url: nil)
    }
    static func invalidNameserver(_ value: String, reason: String) -> Self {
        .init(.invalidNameserver(value: value, reason: reason), url: nil)
    }
    static func shutDown(_ url: URL) -> Self { .init(.shutDown, url: url) }
    static func failed(_ url: URL, reason: String) -> Self { .init(.failed(reason: reason), url: url) }

    /// A `Location` value may be relative; strip its query and fragment either way.
    private static func redactLocation(_ location: String) -> String {
        if let url = URL(string: location), url.host != nil { return url.redactedForDisplay }
        let cut = location.firstIndex { $0 == "?" || $0 == "#" } ?? location.endIndex
        return String(location[..<cut])
    }
}

extension URL {
    /// `scheme://host[:port]/path`: what errors may print. Credentials, query and fragment
    /// are dropped because they can hold secrets (authorization codes, tokens, state).
    var redactedForDisplay: String {
        let scheme = scheme?.lowercased() ?? ""
        guard let host = host(percentEncoded: false), !host.isEmpty else {
            let cut = absoluteString.firstIndex { $0 == "?" || $0 == "#" } ?? absoluteString.endIndex
            return String(absoluteString[..<cut])
        }
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        let port = port.map { ":\($0)" } ?? ""
        return "\(scheme)://\(bracketed)\(port)\(path(percentEncoded: true))"
    }
}
