import Foundation

/// Where a DID's document lives (R4). Only `did:plc` and hostname-only `did:web` are
/// supported by atproto; everything else is refused with a clear reason before any fetch.
extension DID {
    /// `did:plc` and `did:web` — the two methods atproto resolves.
    public var isSupportedForResolution: Bool { isPLC || isWeb }

    /// Throws `.invalidDID` (R4) for methods atproto cannot resolve.
    public func requireSupportedMethod() throws {
        guard isSupportedForResolution else {
            throw ATProtoOAuthError(
                .invalidDID, rule: "R4", field: "did",
                "unsupported DID method '\(method)' (atproto resolves only did:plc and did:web)")
        }
    }

    /// `<directory>/<did>` — where a PLC directory serves the document.
    public func plcDocumentURL(directory: URL) -> URL {
        var base = directory.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        return URL(string: base + "/" + rawValue) ?? directory.appending(path: rawValue)
    }

    /// `https://<host>/.well-known/did.json` for a hostname-only `did:web` (R4).
    ///
    /// did:web paths (`did:web:host:path`) are not allowed in atproto. A port (`%3A`) is only
    /// accepted for `localhost`/`127.0.0.1` when `allowLocalhostPort` is set (development),
    /// and then plain http is used for that loopback host. Hosts under a TLD that never
    /// resolves are refused before any request (R2); `.test` only when `allowLocalhostPort`
    /// (development mode) is set.
    public func webDocumentURL(allowLocalhostPort: Bool) throws -> URL {
        guard isWeb else {
            throw ATProtoOAuthError(.invalidDID, rule: "R4", field: "did", "'\(rawValue)' is not a did:web")
        }
        let id = methodSpecificID
        if id.contains(":") {
            throw ATProtoOAuthError(
                .invalidDID, rule: "R4", field: "did",
                "did:web with a path ('\(rawValue)') is not supported by atproto; only a hostname is allowed")
        }
        var host = id.lowercased()
        var port: Int?
        if let range = host.range(of: "%3a") {
            let portText = host[range.upperBound...]
            host = String(host[..<range.lowerBound])
            guard let value = Int(portText), value > 0, value <= 65535, portText.allSatisfy(\.isASCII) else {
                throw ATProtoOAuthError(
                    .invalidDID, rule: "R4", field: "did", "'\(rawValue)' has an invalid port '\(portText)'")
            }
            port = value
        }
        let isLoopback = host == "localhost" || host == "127.0.0.1"
        if port != nil && !(isLoopback && allowLocalhostPort) {
            throw ATProtoOAuthError(
                .invalidDID, rule: "R4", field: "did",
                isLoopback
                    ? "'\(rawValue)' has a port, which is only allowed in development mode"
                    : "'\(rawValue)' has a port; did:web ports are only allowed for localhost in development mode")
        }
        if !isLoopback, let problem = Handle.syntaxProblem(host) {
            throw ATProtoOAuthError(
                .invalidDID, rule: "R4", field: "did", "'\(rawValue)' does not name a valid hostname: \(problem)")
        }
        // The handle TLD rule covers did:web hosts too (R2): no request for a name that can
        // never resolve; `localhost` itself only as the development loopback host.
        if !(isLoopback && allowLocalhostPort),
            let problem = Handle.disallowedTLDProblem(host: host, development: allowLocalhostPort)
        {
            throw ATProtoOAuthError(.invalidDID, rule: "R2", field: "did", "'\(rawValue)': '\(host)' \(problem)")
        }
        let scheme = isLoopback && allowLocalhostPort ? "http" : "https"
        let authority = port.map { "\(host):\($0)" } ?? host
        guard let url = URL(string: "\(scheme)://\(authority)/.well-known/did.json") else {
            throw ATProtoOAuthError(.invalidDID, rule: "R4", field: "did", "'\(rawValue)' does not form a valid URL")
        }
        return url
    }
}
