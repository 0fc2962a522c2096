/// One OAuth scope token (R28): `atproto`, a transitional scope, or a granular permission
/// in the string syntax of atproto specs/permission.
///
/// Scopes compare by meaning: `repo:a.b.c` equals `repo?collection=a.b.c&action=create&action=update&action=delete`,
/// and `description` prints the canonical (shortest, normalised) form.
public struct OAuthScope: Hashable, Sendable, CustomStringConvertible {
    /// What the token grants, parsed.
    public enum Kind: Hashable, Sendable {
        /// `atproto` — required in every request (R28).
        case atproto
        /// `transition:generic`, `transition:chat.bsky` or `transition:email`.
        case transition(String)
        /// `repo:` — create, update or delete records in some collections.
        case repo(RepoPermission)
        /// `rpc:` — call some Lexicon methods at some service.
        case rpc(RPCPermission)
        /// `blob:` — upload media of some MIME types.
        case blob(BlobPermission)
        /// `account:` — read or manage an account attribute.
        case account(AccountPermission)
        /// `identity:` — change the handle or the DID identity.
        case identity(IdentityPermission)
        /// `include:` — a Lexicon permission set.
        case include(IncludePermission)
        /// A token this library cannot interpret — an unknown resource (`futurething:x`), an
        /// unknown parameter, a value outside what specs/permission defines — kept verbatim.
        /// Only produced when parsing with `allowUnrecognized: true` (scopes a server granted,
        /// R20): a newer server may grant forms we don't know, and that never fails a login.
        case unrecognized(String)
    }

    /// The parsed meaning, which equality and printing go by.
    public let kind: Kind

    /// The transitional scopes R28 lists.
    public static let transitionValues: Set<String> = ["generic", "chat.bsky", "email"]

    /// `atproto`, required in every request and grant (R28).
    public static let atproto = OAuthScope(kind: .atproto)
    /// `transition:generic`: the broad access app passwords used to give.
    public static let transitionGeneric = OAuthScope(kind: .transition("generic"))
    /// `transition:chat.bsky`: Bluesky direct messages (with `transition:generic`).
    public static let transitionChatBsky = OAuthScope(kind: .transition("chat.bsky"))
    /// `transition:email`: read the account's email address.
    public static let transitionEmail = OAuthScope(kind: .transition("email"))

    /// Parses one token strictly; throws `.invalidScope` (R28) with the reason.
    public init(_ token: String) throws {
        try self.init(token, allowUnrecognized: false)
    }

    /// Parses one token. With `allowUnrecognized` (a granted scope, R20) the only error is an
    /// RFC 6749 scope-token violation (empty, space, `"`, `\`, control or non-ASCII
    /// characters); any other token that does not parse semantically becomes `.unrecognized`.
    public init(_ token: String, allowUnrecognized: Bool) throws {
        do {
            if allowUnrecognized {
                try ScopeSyntax.checkScopeToken(token)
                kind = (try? OAuthScope.parseKind(token)) ?? .unrecognized(token)
            } else {
                kind = try OAuthScope.parseKind(token)
            }
        } catch {
            throw ATProtoOAuthError(
                .invalidScope, rule: allowUnrecognized ? "R20" : "R28", field: "scope",
                "\(IdentifierSyntax.quoted(token)) is not a valid scope: \(error.reason)")
        }
    }

    /// Wraps an already parsed meaning.
    public init(kind: Kind) {
        self.kind = kind
    }

    /// False for `.unrecognized` tokens.
    public var isRecognized: Bool {
        if case .unrecognized = kind { return false }
        return true
    }

    /// For an `.unrecognized` token, why strict parsing refuses it (for display and hints);
    /// `nil` otherwise.
    public var unrecognizedReason: String? {
        guard case .unrecognized(let token) = kind else { return nil }
        do {
            _ = try OAuthScope.parseKind(token)
            return nil
        } catch {
            return error.reason
        }
    }

    /// The canonical, shortest spelling: the form to send and to compare as text.
    public var description: String {
        switch kind {
        case .atproto:
            return "atproto"
        case .transition(let value):
            return "transition:" + value
        case .repo(let permission):
            var parameters = OAuthScope.listParameters("collection", permission.collections)
            if permission.actions != RepoPermission.Action.allCases {
                parameters += permission.actions.map { ("action", $0.rawValue) }
            }
            return OAuthScope.format("repo", positionalKey: "collection", parameters)
        case .rpc(let permission):
            let parameters = OAuthScope.listParameters("lxm", permission.methods) + [("aud", permission.audience)]
            return OAuthScope.format("rpc", positionalKey: "lxm", parameters)
        case .blob(let permission):
            return OAuthScope.format(
                "blob", positionalKey: "accept", OAuthScope.listParameters("accept", permission.accept))
        case .account(let permission):
            var parameters = [("attr", permission.attribute.rawValue)]
            if permission.action != .read { parameters.append(("action", permission.action.rawValue)) }
            return OAuthScope.format("account", positionalKey: "attr", parameters)
        case .identity(let permission):
            return OAuthScope.format("identity", positionalKey: "attr", [("attr", permission.attribute.rawValue)])
        case .include(let permission):
            var parameters = [("nsid", permission.permissionSet.rawValue)]
            if let audience = permission.audience { parameters.append(("aud", audience)) }
            return OAuthScope.format("include", positionalKey: "nsid", parameters)
        case .unrecognized(let token):
            return token
        }
    }

    private static func listParameters(_ key: String, _ values: [String]) -> [(String, String)] {
        values.map { (key, $0) }
    }

    /// Uses the positional form when the positional parameter has exactly one value.
    private static func format(_ resource: String, positionalKey: String, _ parameters: [(String, String)]) -> String {
        let positionalValues = parameters.filter { $0.0 == positionalKey }
        if positionalValues.count == 1 {
            return ScopeSyntax.format(
                resource: resource, positional: positionalValues[0].1,
                parameters: parameters.filter { $0.0 != positionalKey })
        }
        return ScopeSyntax.format(resource: resource, positional: nil, parameters: parameters)
    }
}
