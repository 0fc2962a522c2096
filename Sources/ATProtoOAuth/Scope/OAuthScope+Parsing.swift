/// Turning `ScopeSyntax` into a typed, normalised `OAuthScope.Kind` (R28). Strict: every
/// resource, parameter and value must be one specs/permission defines; lenient parsing (a
/// grant, R20) catches the error and keeps the token as `.unrecognized`.
extension OAuthScope {
    static func parseKind(_ token: String) throws(ScopeSyntaxError) -> Kind {
        let syntax = try ScopeSyntax.parse(token)
        let reader = ParameterReader(syntax: syntax)
        switch syntax.resource {
        case "atproto":
            guard syntax.positional == nil, syntax.parameters.isEmpty else {
                throw ScopeSyntaxError("'atproto' takes no value or parameters")
            }
            return .atproto
        case "transition":
            guard syntax.parameters.isEmpty else { throw ScopeSyntaxError("transition: scopes take no parameters") }
            guard let value = syntax.positional, transitionValues.contains(value) else {
                throw ScopeSyntaxError("unknown transitional scope; expected transition:generic, chat.bsky or email")
            }
            return .transition(value)
        case "repo":
            try reader.allow(["collection", "action"])
            let collections = try reader.values("collection", positional: true, multiple: true)
            guard !collections.isEmpty else { throw ScopeSyntaxError("repo: scope requires a collection") }
            guard collections.allSatisfy(PermissionValue.isNSIDOrWildcard) else {
                throw ScopeSyntaxError("repo: collection must be an NSID or '*'")
            }
            let actionNames = try reader.values("action", positional: false, multiple: true)
            var actions = RepoPermission.Action.allCases
            if !actionNames.isEmpty {
                let parsed = actionNames.compactMap(RepoPermission.Action.init(rawValue:))
                guard parsed.count == actionNames.count else {
                    throw ScopeSyntaxError("repo: action must be create, update or delete")
                }
                actions = RepoPermission.Action.allCases.filter(parsed.contains)
            }
            return .repo(
                RepoPermission(collections: PermissionValue.normalisedNSIDs(collections), actions: actions))
        case "rpc":
            try reader.allow(["lxm", "aud"])
            let methods = try reader.values("lxm", positional: true, multiple: true)
            guard !methods.isEmpty else { throw ScopeSyntaxError("rpc: scope requires a method (lxm)") }
            guard methods.allSatisfy(PermissionValue.isNSIDOrWildcard) else {
                throw ScopeSyntaxError("rpc: lxm must be an NSID or '*'")
            }
            guard let audience = try reader.values("aud", positional: false, multiple: false).first else {
                throw ScopeSyntaxError("rpc: scope requires aud")
            }
            guard audience == "*" || PermissionValue.isServiceReference(audience) else {
                throw ScopeSyntaxError("rpc: aud must be '*' or a DID service reference like did:web:host#service")
            }
            if audience == "*" && methods.contains("*") {
                throw ScopeSyntaxError("rpc: scope must not combine lxm '*' with aud '*'")
            }
            return .rpc(RPCPermission(methods: PermissionValue.normalisedNSIDs(methods), audience: audience))
        case "blob":
            try reader.allow(["accept"])
            let accept = try reader.values("accept", positional: true, multiple: true)
            guard !accept.isEmpty else { throw ScopeSyntaxError("blob: scope requires a MIME pattern (accept)") }
            guard accept.allSatisfy(PermissionValue.isAcceptPattern) else {
                throw ScopeSyntaxError("blob: accept must be a MIME type or pattern like image/* or */*")
            }
            return .blob(BlobPermission(accept: PermissionValue.normalisedAccept(accept)))
        case "account":
            try reader.allow(["attr", "action"])
            guard let attributeName = try reader.values("attr", positional: true, multiple: false).first else {
                throw ScopeSyntaxError("account: scope requires attr (email, repo or status)")
            }
            guard let attribute = AccountPermission.Attribute(rawValue: attributeName) else {
                throw ScopeSyntaxError("account: attr must be email, repo or status")
            }
            var action = AccountPermission.Action.read
            if let actionName = try reader.values("action", positional: false, multiple: false).first {
                guard let parsed = AccountPermission.Action(rawValue: actionName) else {
                    throw ScopeSyntaxError("account: action must be read or manage")
                }
                action = parsed
            }
            return .account(AccountPermission(attribute: attribute, action: action))
        case "identity":
            try reader.allow(["attr"])
            guard let attributeName = try reader.values("attr", positional: true, multiple: false).first else {
                throw ScopeSyntaxError("identity: scope requires attr (handle or *)")
            }
            guard let attribute = IdentityPermission.Attribute(rawValue: attributeName) else {
                throw ScopeSyntaxError("identity: attr must be handle or *")
            }
            return .identity(IdentityPermission(attribute: attribute))
        case "include":
            try reader.allow(["nsid", "aud"])
            guard let name = try reader.values("nsid", positional: true, multiple: false).first else {
                throw ScopeSyntaxError("include: scope requires a permission-set NSID")
            }
            guard let permissionSet = try? NSID(name) else {
                throw ScopeSyntaxError("include: '\(name)' is not a valid NSID")
            }
            let audience = try reader.values("aud", positional: false, multiple: false).first
            if let audience, !PermissionValue.isServiceReference(audience) {
                throw ScopeSyntaxError("include: aud must be a DID service reference like did:web:host#service")
            }
            return .include(IncludePermission(permissionSet: permissionSet, audience: audience))
        default:
            throw ScopeSyntaxError("unknown scope resource '\(syntax.resource)'")
        }
    }
}

/// Reads named and positional parameters with the rules every resource shares.
private struct ParameterReader {
    let syntax: ScopeSyntax

    /// Rejects parameter names the resource does not define.
    func allow(_ keys: Set<String>) throws(ScopeSyntaxError) {
        if let unknown = syntax.parameters.first(where: { !keys.contains($0.key) }) {
            throw ScopeSyntaxError("unknown parameter '\(unknown.key)' for \(syntax.resource):")
        }
    }

    /// The values of `key`: the positional value (when `positional`) or the named ones.
    func values(_ key: String, positional: Bool, multiple: Bool) throws(ScopeSyntaxError) -> [String] {
        let named = syntax.parameters.filter { $0.key == key }.map(\.value)
        if positional, syntax.positional != nil, !named.isEmpty {
            throw ScopeSyntaxError("'\(key)' is given both after ':' and as a parameter")
        }
        if !multiple && named.count > 1 {
            throw ScopeSyntaxError("parameter '\(key)' may appear only once")
        }
        if positional, let value = syntax.positional { return [value] }
        return named
    }
}
