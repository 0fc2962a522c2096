/// The parsed, normalised parameters of each granular permission (atproto specs/permission).
/// Values are kept as strings (`"*"` meaning "any") so they print back exactly.

/// `repo:` — write access to records of some collections.
public struct RepoPermission: Hashable, Sendable {
    /// What may be done to records.
    public enum Action: String, Hashable, Sendable, CaseIterable {
        /// Create new records, update existing ones, delete them.
        case create, update, delete
    }
    /// NSIDs, or exactly `["*"]`; de-duplicated and sorted.
    public let collections: [String]
    /// In `create, update, delete` order; all three when the scope names none.
    public let actions: [Action]
}

/// `rpc:` — service-authenticated calls to some Lexicon methods at some audience.
public struct RPCPermission: Hashable, Sendable {
    /// Method NSIDs (`lxm`), or exactly `["*"]`; de-duplicated and sorted.
    public let methods: [String]
    /// `"*"` or a DID service reference such as `did:web:api.bsky.app#bsky_appview`.
    public let audience: String
}

/// `blob:` — uploading media whose MIME type matches one of the patterns.
public struct BlobPermission: Hashable, Sendable {
    /// Lower-cased `type/subtype`, `type/*` or exactly `["*/*"]`; redundant entries dropped, sorted.
    public let accept: [String]
}

/// `account:` — an account attribute, read or manage.
public struct AccountPermission: Hashable, Sendable {
    /// The account attribute concerned.
    public enum Attribute: String, Hashable, Sendable, CaseIterable {
        /// The email address, the repository (import/export), the account status (deactivation).
        case email, repo, status
    }
    /// Whether the attribute may only be read or also changed.
    public enum Action: String, Hashable, Sendable, CaseIterable {
        /// Read only, or read and change.
        case read, manage
    }
    /// Which attribute.
    public let attribute: Attribute
    /// `read` when the scope names none.
    public let action: Action
}

/// `identity:` — the handle, or (`*`) the whole DID identity.
public struct IdentityPermission: Hashable, Sendable {
    /// The part of the identity concerned.
    public enum Attribute: String, Hashable, Sendable, CaseIterable {
        /// The handle only.
        case handle
        /// The whole identity: handle, DID document, signing keys.
        case any = "*"
    }
    /// Which part of the identity.
    public let attribute: Attribute
}

/// `include:` — a Lexicon permission set, optionally binding an audience for its `rpc:`
/// entries that inherit one.
public struct IncludePermission: Hashable, Sendable {
    /// The NSID of the permission-set Lexicon whose permissions are granted.
    public let permissionSet: NSID
    /// A DID service reference, or `nil`.
    public let audience: String?
}

/// Value checks shared by the permission parsers.
enum PermissionValue {
    /// `*` or an NSID.
    static func isNSIDOrWildcard(_ value: String) -> Bool {
        value == "*" || NSID.syntaxProblem(value) == nil
    }

    /// `type/subtype`, `type/*` or `*/*` with RFC 6838 restricted-name characters.
    static func isAcceptPattern(_ value: String) -> Bool {
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        if parts[0] == "*" { return parts[1] == "*" }
        if parts[1] == "*" { return isMIMEName(parts[0]) }
        return isMIMEName(parts[0]) && isMIMEName(parts[1])
    }

    private static func isMIMEName(_ name: Substring) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 127, IdentifierSyntax.isLetterOrDigit(first) else { return false }
        return bytes.allSatisfy { IdentifierSyntax.isLetterOrDigit($0) || Array("!#$&-^_.+".utf8).contains($0) }
    }

    /// A DID (did:plc or did:web) followed by `#` and a non-empty service fragment.
    static func isServiceReference(_ value: String) -> Bool {
        let parts = value.split(separator: "#", omittingEmptySubsequences: false)
        guard parts.count == 2, let did = try? DID(String(parts[0])), did.isPLC || did.isWeb else { return false }
        let fragment = Array(parts[1].utf8)
        return !fragment.isEmpty
            && fragment.allSatisfy {
                IdentifierSyntax.isLetterOrDigit($0) || Array("-._~!$&'()*+,;=:@/?".utf8).contains($0)
            }
    }

    /// NSID-or-`*` lists: `["*"]` if present, else unique and sorted.
    static func normalisedNSIDs(_ values: [String]) -> [String] {
        values.contains("*") ? ["*"] : Array(Set(values)).sorted()
    }

    /// Accept lists: `["*/*"]` if present, else lower-cased, unique, without entries a
    /// `type/*` already covers, sorted.
    static func normalisedAccept(_ values: [String]) -> [String] {
        let lowered = Set(values.map { $0.lowercased() })
        if lowered.contains("*/*") { return ["*/*"] }
        return lowered.filter { value in
            if value.hasSuffix("/*") { return true }
            let type = value.split(separator: "/").first.map(String.init) ?? value
            return !lowered.contains(type + "/*")
        }.sorted()
    }
}
