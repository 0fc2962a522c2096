/// The one error type of the protocol core.
///
/// A public struct wrapping a private code enum (the async-http-client pattern) so new
/// cases can be added without breaking callers. Every error names the profile rule it
/// enforces (an R-number from the ATProto OAuth profile checklist), the field or place
/// that was wrong, and a human-readable reason fit for the terminal UI.
///
/// Errors never carry secrets: constructors take descriptions, not token values.
public struct ATProtoOAuthError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Broad classes of failure, stable for callers that branch on them.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidHandle
            case invalidDID
            case invalidNSID
            case invalidIdentifier
            case invalidDIDDocument
            case invalidScope
            case invalidURL
            case invalidJSON
            case invalidJWK
            case invalidJWS
            case invalidMetadata
            case invalidClientMetadata
            case invalidCallback
            case authorizationDenied
            case invalidTokenResponse
            case oauthError
            case invalidSession
            case transport
            case crypto
            case needsLogin
            case issuerChanged
            case accountNotFound
            case lockTimeout
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        public var description: String { base.rawValue }

        public static let invalidHandle = Code(.invalidHandle)
        public static let invalidDID = Code(.invalidDID)
        public static let invalidNSID = Code(.invalidNSID)
        public static let invalidIdentifier = Code(.invalidIdentifier)
        public static let invalidDIDDocument = Code(.invalidDIDDocument)
        public static let invalidScope = Code(.invalidScope)
        public static let invalidURL = Code(.invalidURL)
        public static let invalidJSON = Code(.invalidJSON)
        public static let invalidJWK = Code(.invalidJWK)
        public static let invalidJWS = Code(.invalidJWS)
        public static let invalidMetadata = Code(.invalidMetadata)
        public static let invalidClientMetadata = Code(.invalidClientMetadata)
        public static let invalidCallback = Code(.invalidCallback)
        /// The user or the server refused the authorization (`error=access_denied`).
        public static let authorizationDenied = Code(.authorizationDenied)
        public static let invalidTokenResponse = Code(.invalidTokenResponse)
        /// A server answered with an OAuth error object (`error`, `error_description`).
        public static let oauthError = Code(.oauthError)
        public static let invalidSession = Code(.invalidSession)
        /// The `HTTPTransport` or `TXTResolver` failed (wrapped by the I/O layer).
        public static let transport = Code(.transport)
        public static let crypto = Code(.crypto)
        /// The session can no longer be refreshed (refresh token rejected, missing or expired):
        /// the account is kept on disk, marked, and needs a new login (R24, R26).
        public static let needsLogin = Code(.needsLogin)
        /// The DID's authorization server is no longer the session's issuer (R21 re-check).
        public static let issuerChanged = Code(.issuerChanged)
        /// A session store has no session for the DID asked for.
        public static let accountNotFound = Code(.accountNotFound)
        /// A session store's per-DID lock was not free within the time asked for.
        public static let lockTimeout = Code(.lockTimeout)
    }

    public let code: Code
    /// The profile rule this enforces, e.g. `"R9"`; `nil` when no rule applies.
    public let rule: String?
    /// The field, parameter or place that was wrong, e.g. `"issuer"` or `"handle"`.
    public let field: String?
    /// Why it was wrong, in words a person can act on.
    public let reason: String

    public init(_ code: Code, rule: String? = nil, field: String? = nil, _ reason: String) {
        self.code = code
        self.rule = rule
        self.field = field
        self.reason = reason
    }

    public var description: String {
        var prefix = ""
        if let rule { prefix += "\(rule) " }
        if let field { prefix += "\(field): " }
        return prefix + reason
    }
}
