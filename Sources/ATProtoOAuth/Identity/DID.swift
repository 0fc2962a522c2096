/// A decentralized identifier (`did:<method>:<method-specific-id>`), syntax per the atproto
/// DID spec and interop vectors (R4).
///
/// Only syntax is checked here; which methods can be resolved is a separate question
/// (`isSupportedForResolution`), because a token's `sub` may legitimately carry any DID.
public struct DID: StringIdentifier, Hashable, Sendable {
    /// The DID exactly as given (DIDs are case-sensitive).
    public let rawValue: String

    /// Validates DID syntax; throws `.invalidDID` (R4) saying which part is wrong.
    public init(_ string: String) throws {
        if let problem = DID.syntaxProblem(string) {
            throw ATProtoOAuthError(
                .invalidDID, rule: "R4", field: "did",
                "\(IdentifierSyntax.quoted(string)) is not a valid DID: \(problem)")
        }
        rawValue = string
    }

    /// The method name, e.g. `plc` or `web`.
    public var method: String {
        let parts = rawValue.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        return parts.count > 1 ? String(parts[1]) : ""
    }

    /// Everything after `did:<method>:`.
    public var methodSpecificID: String {
        let parts = rawValue.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        return parts.count > 2 ? String(parts[2]) : ""
    }

    /// A `did:plc`, resolved through the PLC directory (R4).
    public var isPLC: Bool { method == "plc" }
    /// A `did:web`, resolved from its host's `/.well-known/did.json` (R4).
    public var isWeb: Bool { method == "web" }

    /// The reason `string` is not DID syntax, or `nil` when it is.
    static func syntaxProblem(_ string: String) -> String? {
        let bytes = Array(string.utf8)
        guard bytes.starts(with: Array("did:".utf8)) else { return "must start with lower-case 'did:'" }
        if bytes.count > 2048 { return "longer than 2048 characters" }
        let allowedPunctuation: Set<UInt8> = [0x2E, 0x5F, 0x3A, 0x25, 0x2D]  // . _ : % -
        if !bytes.allSatisfy({ IdentifierSyntax.isLetterOrDigit($0) || allowedPunctuation.contains($0) }) {
            return "only ASCII letters, digits and . _ : % - are allowed"
        }
        let rest = bytes.dropFirst(4)
        guard let colon = rest.firstIndex(of: 0x3A) else { return "needs 'did:<method>:<identifier>'" }
        let method = rest[rest.startIndex..<colon]
        if method.isEmpty { return "the method is empty" }
        if !method.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }) { return "the method must be lower-case letters only" }
        let identifier = rest[(colon + 1)...]
        guard let last = identifier.last else { return "the method-specific identifier is empty" }
        if last == 0x3A || last == 0x25 { return "must not end with ':' or '%'" }
        return nil
    }
}
