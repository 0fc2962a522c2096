/// An atproto handle (a DNS name such as `alice.bsky.social`), normalised to lower case.
///
/// Syntax follows the atproto handle spec and the interop vectors: ASCII only, at most 253
/// characters, at least two dot-separated labels of 1–63 letters/digits/hyphens that do not
/// start or end with a hyphen, and a top-level label starting with a letter (R2).
public struct Handle: StringIdentifier, Hashable, Sendable {
    /// The normalised (lower-case) handle.
    public let rawValue: String

    /// Top-level domains that never resolve on the public network (special-use names, RFC
    /// 6761 and successors), so a login with them must fail before any DNS query or HTTP
    /// request leaks the name (R2).
    public static let disallowedTLDs: Set<String> = [
        "alt", "arpa", "example", "internal", "invalid", "local", "localhost", "onion",
    ]

    /// Top-level domains allowed only in development mode: the dev network's accounts are
    /// `alice.test`, `bob.test`, … (R2).
    public static let developmentTLDs: Set<String> = ["test"]

    /// The placeholder the network shows when a handle fails verification (R2, R5).
    public static let invalidPlaceholder = "handle.invalid"

    /// Validates handle syntax and lower-cases it; throws `.invalidHandle` (R2) saying why.
    public init(_ string: String) throws {
        if let problem = Handle.syntaxProblem(string) {
            throw ATProtoOAuthError(
                .invalidHandle, rule: "R2", field: "handle",
                "\(IdentifierSyntax.quoted(string)) is not a valid handle: \(problem)")
        }
        rawValue = string.lowercased()
    }

    /// `false` for the TLDs R2 lists (including `.test`, which only development mode allows)
    /// and for `handle.invalid`.
    public var isResolvable: Bool { isResolvable(development: false) }

    /// `false` for the TLDs R2 lists and `handle.invalid`; `.test` passes only when
    /// `development` is set.
    public func isResolvable(development: Bool) -> Bool {
        (try? requireResolvable(development: development)) != nil
    }

    /// Throws `.invalidHandle` (R2) naming the disallowed TLD when the handle cannot resolve.
    /// Call it before any DNS or HTTP look-up; `development` admits `.test` (the dev network).
    public func requireResolvable(development: Bool = false) throws {
        if rawValue == Handle.invalidPlaceholder {
            throw ATProtoOAuthError(
                .invalidHandle, rule: "R2", field: "handle",
                "'handle.invalid' marks an unverified handle and never resolves")
        }
        if let problem = Handle.disallowedTLDProblem(host: rawValue, development: development) {
            throw ATProtoOAuthError(.invalidHandle, rule: "R2", field: "handle", "'\(rawValue)' \(problem)")
        }
    }

    /// Why `host` (a handle or a did:web host name) must not be looked up, or `nil` when it
    /// may: its last label is a disallowed TLD, or `.test` outside development mode (R2).
    static func disallowedTLDProblem(host: String, development: Bool) -> String? {
        guard let tld = host.lowercased().split(separator: ".").last.map(String.init) else { return nil }
        if disallowedTLDs.contains(tld) {
            return "uses the '.\(tld)' top-level domain, which never resolves"
        }
        if developmentTLDs.contains(tld) && !development {
            return "uses the '.\(tld)' top-level domain, which is only allowed in development mode"
        }
        return nil
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
