import Foundation

extension URL {
    /// True for `127.0.0.0/8`, `::1` and `localhost` hosts: the only hosts where plain
    /// http is ever allowed, and only in explicit development mode (R29).
    package var isLoopback: Bool {
        guard let host = host(percentEncoded: false)?.lowercased() else { return false }
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// The one rule for every URL this library fetches or trusts (R29): https, or plain
    /// http to a loopback host when development mode (`allowHTTPLoopback`) allows it.
    /// Returns why the URL breaks it, or `nil` when it does not.
    package func transportSecurityProblem(allowHTTPLoopback: Bool) -> String? {
        switch scheme?.lowercased() {
        case "https":
            return nil
        case "http" where isLoopback:
            return allowHTTPLoopback ? nil : "plain http is only allowed in development mode (--allow-http-loopback)"
        case "http":
            return "plain http is only allowed for loopback hosts in development mode; use https"
        default:
            return "only https URLs are accepted"
        }
    }

    /// `scheme://host[:port]` lower-cased, with default ports dropped; `nil` if the URL has
    /// no scheme or host. Two URLs share an origin exactly when these strings are equal.
    package var originString: String? {
        guard let scheme = scheme?.lowercased(), let host = host(percentEncoded: false)?.lowercased(), !host.isEmpty
        else { return nil }
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        if let port, !((scheme == "https" && port == 443) || (scheme == "http" && port == 80)) {
            return "\(scheme)://\(bracketed):\(port)"
        }
        return "\(scheme)://\(bracketed)"
    }

    /// Whether this URL is a bare origin: http(s), a host, no credentials, and no path
    /// (other than `/`), query or fragment. Authorization-server URLs must be (R8).
    package var isBareOrigin: Bool {
        guard let scheme = scheme?.lowercased(), scheme == "https" || scheme == "http",
            let host = host(percentEncoded: false), !host.isEmpty,
            user == nil, password == nil, query == nil, fragment == nil
        else { return false }
        let path = path(percentEncoded: true)
        return path.isEmpty || path == "/"
    }
}
