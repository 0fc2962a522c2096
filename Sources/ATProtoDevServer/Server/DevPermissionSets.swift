import ATProtoOAuth
import Foundation

/// The Lexicon permission sets the dev authorization server knows, for `include:` scopes
/// (R28, specs/permission).
///
/// A real server resolves `include:<nsid>` to a published permission-set Lexicon and grants
/// the permissions it lists, so the granted scope differs from the request by design (R20).
/// The dev network does the same from a built-in table, and its expansion deliberately uses
/// every form a client has to tolerate: repeated `action`, `collection`, `lxm` and `accept`
/// parameters, an `aud` with a percent-encoded `#`, and a resource no client knows yet. So
/// `atproto-oauth login --scope "atproto include:com.example.dev.basicAccess"` proves the
/// whole path end to end. An `include:` of any other NSID is refused with `invalid_scope`, as
/// a real server refuses a permission set it cannot resolve.
public enum DevPermissionSets {
    /// The one dev permission set (an `example.com` NSID: it names nothing real).
    public static let basicAccess = "com.example.dev.basicAccess"

    /// The service its `rpc:` permission targets when the `include:` names no `aud`.
    public static let defaultAudience = "did:web:appview.dev.test#dev_appview"

    /// The granted tokens for `include:<basicAccess>[?aud=…]`, in the order they are granted.
    /// The `rpc:` entry inherits the include's `aud` (specs/permission `inheritAud`).
    public static func expansion(audience: String?) -> [String] {
        let aud = (audience ?? defaultAudience).replacingOccurrences(of: "#", with: "%23")
        return [
            "repo:com.example.dev.post?action=create&action=delete",
            "repo?collection=com.example.dev.like&collection=com.example.dev.repost",
            "rpc?lxm=com.example.dev.getFeed&lxm=com.example.dev.getTimeline&aud=" + aud,
            "blob?accept=image/*&accept=video/*",
            "futurething:xyz",
        ]
    }

    /// Why a requested token cannot be granted, or `nil`: an `include:` must parse and name a
    /// known permission set. Other tokens are not looked at here.
    static func problem(with token: String) -> String? {
        guard token == "include" || token.hasPrefix("include:") || token.hasPrefix("include?") else { return nil }
        guard let scope = try? OAuthScope(token), case .include(let include) = scope.kind else {
            return "scope \(token) is not a valid include: scope"
        }
        guard include.permissionSet.rawValue == basicAccess else {
            return "unknown permission set \(include.permissionSet.rawValue) (this dev network knows \(basicAccess))"
        }
        return nil
    }

    /// The scope string granted for a requested one: each `include:` replaced by its
    /// expansion (tokens already granted are not repeated), everything else as requested.
    static func granted(for requested: String) -> String {
        var out: [String] = []
        for token in requested.split(separator: " ").map(String.init) {
            let expanded: [String]
            if let scope = try? OAuthScope(token), case .include(let include) = scope.kind,
                include.permissionSet.rawValue == basicAccess
            {
                expanded = expansion(audience: include.audience)
            } else {
                expanded = [token]
            }
            for item in expanded where !out.contains(item) { out.append(item) }
        }
        return out.joined(separator: " ")
    }
}
