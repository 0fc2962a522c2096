/// Scopes in plain words (R28: parsed "to show and to explain"), for a details pane or a
/// `status` listing. One line per scope, starting with the resource it is about:
///
/// ```swift
/// let granted = try ScopeSet(granted: "atproto repo:app.bsky.feed.post?action=create&action=delete")
/// granted.permissionLines
/// // ["atproto: identify the account (its DID and handle)",
/// //  "repo: create, delete app.bsky.feed.post"]
/// ```
///
/// The wording is for people and may change between versions; compare scopes with
/// ``ScopeSet/grants(_:)`` or ``OAuthScope/description``, never with these lines.
extension ScopeSet {
    /// Each scope of the set in words, in the set's order (duplicates already dropped).
    public var permissionLines: [String] { scopes.map(\.plainDescription) }
}

extension OAuthScope {
    /// The scope in words, prefixed with its resource: `repo: create, delete app.bsky.feed.post`,
    /// `rpc: app.bsky.feed.getTimeline via did:web:api.bsky.app#bsky_appview`,
    /// `transition:generic: everything an app password could do`,
    /// `not recognised: futurething:xyz`.
    public var plainDescription: String {
        switch kind {
        case .atproto:
            return "atproto: identify the account (its DID and handle)"
        case .transition(let value):
            return "transition:\(value): " + Self.transitionWords(value)
        case .repo(let permission):
            let actions = permission.actions.map(\.rawValue).joined(separator: ", ")
            let collections =
                permission.collections == ["*"]
                ? "records of any collection" : permission.collections.joined(separator: ", ")
            return "repo: \(actions) \(collections)"
        case .rpc(let permission):
            let methods = permission.methods == ["*"] ? "any method" : permission.methods.joined(separator: ", ")
            let audience = permission.audience == "*" ? "any service" : permission.audience
            return "rpc: \(methods) via \(audience)"
        case .blob(let permission):
            let types = permission.accept == ["*/*"] ? "files of any type" : permission.accept.joined(separator: ", ")
            return "blob: upload \(types)"
        case .account(let permission):
            return "account: " + Self.accountWords(permission)
        case .identity(let permission):
            switch permission.attribute {
            case .handle: return "identity: change the handle"
            case .any: return "identity: change the whole identity (handle, DID document, signing keys)"
            }
        case .include(let permission):
            let via = permission.audience.map { " via \($0)" } ?? ""
            return "include: the permission set \(permission.permissionSet.rawValue)\(via)"
        case .unrecognized(let token):
            return "not recognised: \(token)"
        }
    }

    private static func transitionWords(_ value: String) -> String {
        switch value {
        case "generic": "everything an app password could do"
        case "chat.bsky": "Bluesky direct messages (with transition:generic)"
        case "email": "read the account's email address"
        default: "a transitional permission this version does not describe"
        }
    }

    private static func accountWords(_ permission: AccountPermission) -> String {
        switch (permission.attribute, permission.action) {
        case (.email, .read): "read the email address"
        case (.email, .manage): "read and change the email address"
        case (.repo, .read): "read the repository"
        case (.repo, .manage): "read and import the repository"
        case (.status, .read): "read the account status"
        case (.status, .manage): "read and change the account status (deactivate, activate)"
        }
    }
}
