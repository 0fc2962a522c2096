import Foundation

/// Reading a resource server's refusal for the permission it wanted (R28): so a person can be
/// told which scope to ask for at the next login.
extension OAuthScope {
    /// The scope a refused XRPC call says is missing, as the server spelled it; `nil` when the
    /// answer is not about a missing scope.
    ///
    /// Understands the reference PDS's answer — 403
    /// `{"error":"ScopeMissingError","message":"Missing required scope \"repo:app.bsky.feed.post?action=create\""}`
    /// —, its older wording `Missing required scope: <scope> (or equivalent)`, and the RFC 6750
    /// challenge `WWW-Authenticate: DPoP error="insufficient_scope", scope="<scope>"`.
    public static func missing(in response: HTTPResponse) -> String? {
        guard !(200..<300).contains(response.status) else { return nil }
        if let body = XRPCErrorBody.parse(response) {
            let named = body.error == "ScopeMissingError" || body.error == "insufficient_scope"
            if let message = body.message, let scope = scopeNamed(in: message) { return scope }
            if named, let message = body.message, let scope = firstScopeLike(in: message) { return scope }
        }
        if let challenge = response.header("WWW-Authenticate"),
            challenge.contains("insufficient_scope"),
            let scope = parameter("scope", in: challenge)
        {
            return scope
        }
        return nil
    }

    /// `Missing required scope "X"` or `Missing required scope: X …`.
    private static func scopeNamed(in message: String) -> String? {
        guard let range = message.range(of: "missing required scope", options: .caseInsensitive) else {
            return nil
        }
        var rest = message[range.upperBound...].drop { $0 == " " || $0 == ":" }
        if rest.first == "\"" {
            rest = rest.dropFirst()
            guard let end = rest.firstIndex(of: "\"") else { return nil }
            let scope = String(rest[..<end])
            return scope.isEmpty ? nil : scope
        }
        let scope = String(rest.prefix { !$0.isWhitespace && $0 != "\"" })
        return scope.isEmpty ? nil : scope
    }

    /// The first quoted token of a `ScopeMissingError` message worded some other way.
    private static func firstScopeLike(in message: String) -> String? {
        let parts = message.split(separator: "\"", omittingEmptySubsequences: false)
        guard parts.count >= 3 else { return nil }
        let scope = String(parts[1])
        return scope.isEmpty || scope.contains(" ") ? nil : scope
    }

    /// `name="value"` in an auth challenge.
    private static func parameter(_ name: String, in challenge: String) -> String? {
        guard let range = challenge.range(of: "\(name)=\"") else { return nil }
        let rest = challenge[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }
}
