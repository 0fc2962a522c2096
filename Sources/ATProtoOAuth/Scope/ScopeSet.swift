/// A space-separated OAuth `scope` value (R28): tokens parsed, duplicates dropped, order kept.
public struct ScopeSet: Hashable, Sendable, Codable, CustomStringConvertible {
    public let scopes: [OAuthScope]

    /// Parses a scope string strictly. Runs of spaces are tolerated; other whitespace is not.
    public init(_ string: String) throws {
        try self.init(string, allowUnrecognized: false)
    }

    /// Parses a scope string; `allowUnrecognized` keeps unknown resources (e.g. in a grant
    /// from a newer server) as `.unrecognized` instead of failing.
    public init(_ string: String, allowUnrecognized: Bool) throws {
        let tokens = string.split(separator: " ", omittingEmptySubsequences: true)
        try self.init(tokens.map { try OAuthScope(String($0), allowUnrecognized: allowUnrecognized) })
    }

    public init(_ scopes: [OAuthScope]) {
        var seen = Set<OAuthScope>()
        self.scopes = scopes.filter { seen.insert($0).inserted }
    }

    public func contains(_ scope: OAuthScope) -> Bool { scopes.contains(scope) }

    /// Whether `atproto` is present — required in every request and grant (R20, R28).
    public var includesATProto: Bool { contains(.atproto) }

    public var isEmpty: Bool { scopes.isEmpty }

    public var description: String { scopes.map(\.description).joined(separator: " ") }

    /// Decoding keeps unrecognized resources, so a stored grant from a newer server still loads.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        try self.init(container.decode(String.self), allowUnrecognized: true)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
