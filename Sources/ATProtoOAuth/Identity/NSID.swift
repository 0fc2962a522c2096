/// A namespaced identifier for a Lexicon (`app.bsky.feed.post`), syntax per the atproto
/// NSID spec and interop vectors: a reversed domain authority plus a name segment.
///
/// Used by granular scopes (R28) for collections, RPC methods and permission sets.
public struct NSID: StringIdentifier, Hashable, Sendable {
    /// The NSID as given (the name segment is case-sensitive).
    public let rawValue: String

    /// Validates NSID syntax; throws `.invalidNSID` saying which segment is wrong.
    public init(_ string: String) throws {
        if let problem = NSID.syntaxProblem(string) {
            throw ATProtoOAuthError(
                .invalidNSID, rule: "R28", field: "nsid",
                "\(IdentifierSyntax.quoted(string)) is not a valid NSID: \(problem)")
        }
        rawValue = string
    }

    /// The authority part: everything before the last segment, e.g. `app.bsky.feed`.
    public var authority: String {
        guard let dot = rawValue.lastIndex(of: ".") else { return "" }
        return String(rawValue[..<dot])
    }

    /// The final segment, e.g. `post`.
    public var name: String {
        guard let dot = rawValue.lastIndex(of: ".") else { return rawValue }
        return String(rawValue[rawValue.index(after: dot)...])
    }

    /// The reason `string` is not NSID syntax, or `nil` when it is.
    static func syntaxProblem(_ string: String) -> String? {
        let bytes = Array(string.utf8)
        if bytes.isEmpty { return "it is empty" }
        if bytes.count > 317 { return "longer than 317 characters" }
        if !bytes.allSatisfy({ IdentifierSyntax.isLetterOrDigit($0) || $0 == 0x2D || $0 == 0x2E }) {
            return "only ASCII letters, digits, hyphens and dots are allowed"
        }
        let segments = bytes.split(separator: IdentifierSyntax.dot, omittingEmptySubsequences: false)
        if segments.count < 3 { return "needs at least three dot-separated segments" }
        for segment in segments.dropLast() {
            if let problem = IdentifierSyntax.labelProblem(segment) { return problem }
        }
        if let first = segments.first?.first, !IdentifierSyntax.isLetter(first) {
            return "the first segment must start with a letter"
        }
        guard let name = segments.last, let initial = name.first else { return "the name segment is empty" }
        if name.count > 63 { return "the name segment is longer than 63 characters" }
        if !IdentifierSyntax.isLetter(initial) || !name.allSatisfy(IdentifierSyntax.isLetterOrDigit) {
            return "the name segment must be a letter followed by letters or digits"
        }
        return nil
    }
}
