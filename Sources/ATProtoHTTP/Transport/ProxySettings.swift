import Foundation

/// Which proxy a request goes through, as curl and most HTTP tools read it from the
/// environment: `https_proxy`/`HTTPS_PROXY` for https URLs, `http_proxy`/`HTTP_PROXY` for
/// http URLs, and `no_proxy`/`NO_PROXY` (comma-separated host suffixes, `*` for all) for
/// hosts that go direct. Loopback hosts always go direct.
///
/// Values are kept as written and checked by ``HTTPClientTransport/init(configuration:)``,
/// so a typo in `HTTPS_PROXY` is a clear error instead of a silently direct connection.
public struct ProxySettings: Sendable, Hashable {
    /// The proxy for https URLs: `http://[user:password@]host[:port]`, `host:port`, or
    /// `socks5://host[:port]`.
    public var httpsProxy: String?
    /// The proxy for http URLs (same forms). Plain http only ever reaches loopback hosts
    /// (R29), which are never proxied, so this matters only to the rule's future exceptions.
    public var httpProxy: String?
    /// Host names (and their subdomains) that bypass the proxy; `*` bypasses it for all.
    public var noProxy: [String]

    /// Explicit settings, for callers that do not want the environment's (tests, `--proxy`-style flags).
    public init(httpsProxy: String? = nil, httpProxy: String? = nil, noProxy: [String] = []) {
        self.httpsProxy = httpsProxy
        self.httpProxy = httpProxy
        self.noProxy = noProxy
    }

    /// The settings of this process's environment, or `nil` when no proxy variable is set.
    public static var fromEnvironment: ProxySettings? {
        from(environment: ProcessInfo.processInfo.environment)
    }

    /// The settings described by `environment`, or `nil` when it sets no proxy. Lower-case
    /// names win over upper-case ones, as in curl.
    public static func from(environment: [String: String]) -> ProxySettings? {
        func value(_ names: String...) -> String? {
            for name in names {
                if let value = environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty {
                    return value
                }
            }
            return nil
        }
        let https = value("https_proxy", "HTTPS_PROXY")
        let http = value("http_proxy", "HTTP_PROXY")
        guard https != nil || http != nil else { return nil }
        let noProxy = (value("no_proxy", "NO_PROXY") ?? "")
            .split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        return ProxySettings(httpsProxy: https, httpProxy: http, noProxy: noProxy)
    }

    /// Whether `no_proxy` sends `host` direct: `*`, or an entry equal to the host or a parent
    /// domain of it (a leading dot in the entry is optional, a `:port` is ignored). Loopback
    /// hosts are handled by the transport, which never proxies them.
    public func bypasses(host rawHost: String) -> Bool {
        let host = rawHost.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]."))
        for entry in noProxy {
            var pattern = entry.lowercased()
            if pattern == "*" { return true }
            if pattern.hasPrefix("[") {
                pattern = String(pattern.dropFirst().prefix { $0 != "]" })
            } else if pattern.filter({ $0 == ":" }).count == 1, let colon = pattern.firstIndex(of: ":") {
                pattern = String(pattern[..<colon])
            }
            pattern = pattern.trimmingCharacters(in: CharacterSet(charactersIn: "."))
            guard !pattern.isEmpty else { continue }
            if host == pattern || host.hasSuffix("." + pattern) { return true }
        }
        return false
    }
}

/// A proxy value parsed into what AsyncHTTPClient needs.
struct ProxyEndpoint: Hashable, Sendable, CustomStringConvertible {
    enum Kind: Hashable, Sendable { case http, socks5 }
    var kind: Kind
    var host: String
    var port: Int
    var username: String?
    var password: String?

    /// Proxy credentials never appear in messages.
    var description: String { "\(kind == .socks5 ? "socks5" : "http")://\(host):\(port)" }

    /// Parses `http://[user:password@]host[:port][/]`, `host[:port]` or `socks5[h]://host[:port]`.
    init(parsing raw: String) throws(ATProtoHTTPError) {
        let text = raw.contains("://") ? raw : "http://\(raw)"
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            throw .proxy(nil, proxy: Self.redacted(raw), reason: "not a proxy URL like http://proxy.example:3128")
        }
        switch scheme {
        case "http": kind = .http
        case "socks5", "socks5h": kind = .socks5
        case "https":
            throw .proxy(
                nil, proxy: Self.redacted(raw),
                reason: "TLS to the proxy itself (https://) is not supported; use an http:// proxy URL")
        default:
            throw .proxy(nil, proxy: Self.redacted(raw), reason: "unsupported proxy scheme \(scheme)")
        }
        if let path = components.percentEncodedPath.nilIfEmpty, path != "/" {
            throw .proxy(nil, proxy: Self.redacted(raw), reason: "a proxy URL has no path")
        }
        self.host = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        self.port = components.port ?? (kind == .socks5 ? 1080 : 80)
        guard (1...65535).contains(port) else {
            throw .proxy(nil, proxy: Self.redacted(raw), reason: "port \(port) is out of range")
        }
        self.username = components.user
        self.password = components.password
    }

    /// Drops credentials from a proxy value before it goes into an error.
    private static func redacted(_ raw: String) -> String {
        guard let at = raw.lastIndex(of: "@") else { return raw }
        let start = raw.range(of: "://")?.upperBound ?? raw.startIndex
        return String(raw[..<start]) + "***@" + String(raw[raw.index(after: at)...])
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
