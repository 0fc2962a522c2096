/// An atproto handle (a DNS name such as `alice.bsky.social`), normalised to lower case.
///
/// Syntax follows the atproto handle spec and the interop vectors: ASCII only, at most 253
/// characters, at least two dot-separated labels of 1–63 letters/digits/hyphens that do not
/// start or end with a hyphen, and a top-level label starting with a letter (R2).
public struct Handle: StringIdentifier, Hashable, Sendable {
    /// The normalised (lower-case) handle.
    public let rawValue: String

    /// Top-level domains that never resolve on the public network, so a login with them
    /// must fail early rather than leak DNS queries (R2).
    public static let disallowedTLDs: Set<String> = ["local", "arpa", "onion", "internal"]

    /// The placeholder the network shows when a handle fails verification (R2, R5).
    public static let invalidPlaceholder = "handle.invalid"

    public init(_ string: String) throws {
        if let problem = Handle.syntaxProblem(string) {
            throw ATProtoOAuthError(
                .invalidHandle, rule: "R2", field: "handle",
                "\(IdentifierSyntax.quoted(string)) is not a valid handle: \(problem)")
        }
        rawValue = string.lowercased()
    }

    /// `false` for the TLDs R2 lists and for exactly `handle.invalid`.
    public var isResolvable: Bool { disallowedTLD == nil && rawValue != Handle.invalidPlaceholder }

    /// Throws `.invalidHandle` (R2) naming the disallowed TLD when the handle cannot resolve.
    public func requireResolvable() throws {
        if rawValue == Handle.invalidPlaceholder {
            throw ATProtoOAuthError(
                .invalidHandle, rule: "R2", field: "handle",
                "'handle.invalid' marks an unverified handle and never resolves")
        }
        if let tld = disallowedTLD {
            throw ATProtoOAuthError(
                .invalidHandle, rule: "R2", field: "handle",
                "'\(rawValue)' uses the '.\(tld)' top-level domain, which never resolves")
        }
    }

    private var disallowedTLD: String? {
        guard let tld = rawValue.split(separator: ".").last.map(String.init) else { return nil }
        return Handle.disallowedTLDs.contains(tld) ? tld : nil
    }

    /// The reason `string` is not handle syntax, or `nil` when it is.
    static func syntaxProblem(_ string: String) -> String? {
        let bytes = Array(string.utf8)
        if bytes.isEmpty { return "it is empty" }
        if bytes.count > 253 { return "longer than 253 characters" }
        if !bytes.allSatisfy({ IdentifierSyntax.isLetterOrDigit($0) || $0 == 0x2D || $0 == 0x2E }) {
            return "only ASCII letters, digits, hyphens and dots are allowed"
        }
        let labels = bytes.split(separator: IdentifierSyntax.dot, omittingEmptySubsequences: false)
        if labels.count < 2 { return "needs at least two dot-separated parts (like name.example.com)" }
        for label in labels {
            if let problem = IdentifierSyntax.labelProblem(label) { return problem }
        }
        if let tld = labels.last, let first = tld.first, !IdentifierSyntax.isLetter(first) {
            return "the last part (top-level domain) must start with a letter"
        }
        return nil
    }
}
