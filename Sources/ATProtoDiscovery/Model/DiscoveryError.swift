import ATProtoOAuth
import Foundation

/// The one error type of discovery: which step failed, on which URL or record, under which
/// profile rule, and why.
///
/// A public struct wrapping a private code enum (the async-http-client pattern) so cases can
/// grow without breaking callers. The CLI prints ``description`` on stderr; the TUI shows it
/// under the failed step.
///
/// ```swift
/// do { _ = try await discovery.discover(input) }
/// catch let error as DiscoveryError where error.code == .conflictingDIDs {
///     print(error.step, error.target ?? "", error.reason)
/// }
/// ```
public struct DiscoveryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Broad classes of failure, stable for callers that branch on them.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidInput, notFound, conflictingDIDs, handleMismatch, transport, badResponse
            case invalidDocument, profileViolation, cancelled
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The code's name, e.g. `notFound`, for logs and JSON output.
        public var description: String { base.rawValue }

        /// The handle, DID or URL cannot be used at all (syntax, disallowed TLD, DID method, did:web port).
        public static let invalidInput = Code(.invalidInput)
        /// Nothing answered for the handle or DID (no TXT `did=` record and no well-known, HTTP 404).
        public static let notFound = Code(.notFound)
        /// DNS returned several different DIDs for one handle (R3).
        public static let conflictingDIDs = Code(.conflictingDIDs)
        /// The DID document does not claim the handle that was typed (R5).
        public static let handleMismatch = Code(.handleMismatch)
        /// The request did not complete: timeout, refused, oversize body, refused redirect (R29).
        public static let transport = Code(.transport)
        /// The server answered, but with the wrong status or media type.
        public static let badResponse = Code(.badResponse)
        /// The document is not JSON, misses fields, or holds invalid values.
        public static let invalidDocument = Code(.invalidDocument)
        /// A named profile check (R8, R9) failed.
        public static let profileViolation = Code(.profileViolation)
        /// The task running discovery was cancelled.
        public static let cancelled = Code(.cancelled)
    }

    /// The class of failure, for callers that branch; ``reason`` is for people.
    public let code: Code
    /// The step that failed.
    public let step: DiscoveryStepName
    /// The URL fetched or the record looked up (e.g. `_atproto.alice.test TXT`); never secret.
    public let target: String?
    /// The profile rule, e.g. `"R3"`; `nil` when no rule applies (a refused connection).
    public let rule: String?
    /// The field or check at fault, e.g. `"issuer"`, when there is one.
    public let field: String?
    /// Why, in words a person can act on.
    public let reason: String
    /// The typed error behind this one, when there was one: the transport's or resolver's
    /// own error, or the core `ATProtoOAuthError`. Not compared by `==` or hashed.
    public let underlying: (any Error)?

    /// Creates an error; `reason` must never contain a secret value.
    public init(
        _ code: Code, step: DiscoveryStepName, target: String? = nil, rule: String? = nil, field: String? = nil,
        _ reason: String, underlying: (any Error)? = nil
    ) {
        self.code = code
        self.step = step
        self.target = target
        self.rule = rule
        self.field = field
        self.reason = reason
        self.underlying = underlying
    }

    /// Equal when everything but ``underlying`` is equal.
    public static func == (lhs: DiscoveryError, rhs: DiscoveryError) -> Bool {
        lhs.code == rhs.code && lhs.step == rhs.step && lhs.target == rhs.target && lhs.rule == rhs.rule
            && lhs.field == rhs.field && lhs.reason == rhs.reason
    }

    /// Hashes what `==` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(step)
        hasher.combine(target)
        hasher.combine(rule)
        hasher.combine(field)
        hasher.combine(reason)
    }

    /// `resource-metadata failed (R8) https://pds.example/.well-known/…: authorization_servers: …`
    public var description: String {
        var text = "\(step.rawValue) failed"
        if let rule { text += " (\(rule))" }
        if let target { text += " \(target)" }
        return text + ": " + fieldAndReason
    }

    /// The line shown under the failed step, where step and target are already on screen:
    /// `R8 authorization_servers: 2 authorization servers listed; exactly one is required`.
    public var detail: String {
        (rule.map { "\($0) " } ?? "") + fieldAndReason
    }

    private var fieldAndReason: String {
        guard let field, !reason.hasPrefix(field) else { return reason }
        return "\(field): \(reason)"
    }
}

extension DiscoveryError {
    /// Wraps a core error, keeping its rule and field.
    static func core(
        _ error: ATProtoOAuthError, _ code: Code, step: DiscoveryStepName, target: String?
    ) -> DiscoveryError {
        DiscoveryError(
            code, step: step, target: target, rule: error.rule, field: error.field, error.reason, underlying: error)
    }

    /// Wraps whatever the transport or resolver threw. Transport errors name their rule in
    /// their description (`R29 …`), which is kept as the rule.
    static func transport(_ error: any Error, step: DiscoveryStepName, target: String?) -> DiscoveryError {
        if let error = error as? DiscoveryError { return error }
        if let error = error as? ATProtoOAuthError {
            return core(error, .transport, step: step, target: target)
        }
        if error is CancellationError {
            return DiscoveryError(.cancelled, step: step, target: target, "discovery was cancelled", underlying: error)
        }
        var text = String(describing: error)
        var rule: String?
        if let space = text.firstIndex(of: " "), text.hasPrefix("R"),
            text[text.index(after: text.startIndex)..<space].allSatisfy(\.isASCII),
            Int(text[text.index(after: text.startIndex)..<space]) != nil
        {
            rule = String(text[..<space])
            text = String(text[text.index(after: space)...])
        }
        // The transport names the URL first; the target already shows it.
        if text.hasPrefix("http"), let colon = text.range(of: ": "),
            !text[..<colon.lowerBound].contains(" ")
        {
            text = String(text[colon.upperBound...])
        }
        return DiscoveryError(.transport, step: step, target: target, rule: rule, text, underlying: error)
    }
}
