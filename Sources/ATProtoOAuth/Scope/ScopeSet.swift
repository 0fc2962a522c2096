/// A space-separated OAuth `scope` value (R20, R28): the string exactly as given, and its
/// parsed view.
///
/// A granted scope is kept verbatim (`rawValue`: order, duplicates and spelling as the server
/// sent them) and that string is what is stored, encoded and printed; `scopes` is the parsed,
/// de-duplicated view, for display and hints only:
///
/// ```swift
/// let granted = try ScopeSet(granted: "atproto repo?collection=a.b.c&action=create futurething:xyz")
/// granted.description            // the string above, unchanged
/// granted.scopes.count            // 3; the last one is .unrecognized("futurething:xyz")
/// ```
///
/// Two sets are equal when their strings are; `isEquivalent(to:)` compares by meaning.
public struct ScopeSet: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The scope string exactly as given or granted.
    public let rawValue: String
    /// The tokens parsed, duplicates (by meaning) dropped, first-seen order kept.
    public let scopes: [OAuthScope]

    /// Parses a scope string strictly (a scope to request, `--scope`): every token must be one
    /// R28 defines. Runs of spaces are tolerated; other whitespace is not.
    public init(_ string: String) throws {
        try self.init(string, allowUnrecognized: false)
    }

    /// Parses a granted scope (R20): only RFC 6749 syntax can fail (a token with a space-like,
    /// quote, backslash, control or non-ASCII character); anything else we cannot interpret is
    /// kept as `.unrecognized`. Whether `atproto` is present is the caller's check
    /// (`includesATProto`).
    public init(granted string: String) throws {
        try self.init(string, allowUnrecognized: true)
    }

    /// `allowUnrecognized: true` is `init(granted:)`; `false` is the strict `init(_:)`.
    public init(_ string: String, allowUnrecognized: Bool) throws {
        let tokens = string.split(separator: " ", omittingEmptySubsequences: true)
        let parsed = try tokens.map { try OAuthScope(String($0), allowUnrecognized: allowUnrecognized) }
        self.rawValue = string
        self.scopes = Self.unique(parsed)
    }

    /// A set built from parsed scopes; its string is the canonical one.
    public init(_ scopes: [OAuthScope]) {
        self.scopes = Self.unique(scopes)
        self.rawValue = self.scopes.map(\.description).joined(separator: " ")
    }

    private static func unique(_ scopes: [OAuthScope]) -> [OAuthScope] {
        var seen = Set<OAuthScope>()
        return scopes.filter { seen.insert($0).inserted }
    }

    /// Whether this exact scope (by meaning) is in the set. See `grants(_:)` for coverage.
    public func contains(_ scope: OAuthScope) -> Bool { scopes.contains(scope) }

    /// Whether `atproto` is present — required in every request and grant (R20, R28).
    public var includesATProto: Bool { contains(.atproto) }

    /// Whether no scope at all was given (a grant without scope fails R20).
    public var isEmpty: Bool { scopes.isEmpty }

    /// The tokens this library could not interpret (kept, never fatal: R20).
    public var unrecognized: [OAuthScope] { scopes.filter { !$0.isRecognized } }

    /// The canonical spelling: each distinct scope once, normalised, in first-seen order.
    public var canonical: String { scopes.map(\.description).joined(separator: " ") }

    /// Same scopes by meaning, whatever the order, spelling or duplicates.
    public func isEquivalent(to other: ScopeSet) -> Bool { Set(scopes) == Set(other.scopes) }

    /// The verbatim string.
    public var description: String { rawValue }

    /// Decoding is lenient like a grant, so a stored scope from a newer server still loads;
    /// files that stored the canonical string load the same way.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        try self.init(granted: container.decode(String.self))
    }

    /// Encodes the verbatim string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
