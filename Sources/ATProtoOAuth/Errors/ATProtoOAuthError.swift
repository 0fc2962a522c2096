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
            case accountMoving
            case moveNotVerified
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The code's name, e.g. `invalidHandle`, for logs and JSON output.
        public var description: String { base.rawValue }

        /// A handle breaks the handle syntax (R2).
        public static let invalidHandle = Code(.invalidHandle)
        /// A DID breaks the DID syntax, or its method is not one this client resolves.
        public static let invalidDID = Code(.invalidDID)
        /// An XRPC method name is not a valid NSID.
        public static let invalidNSID = Code(.invalidNSID)
        /// What was typed is neither a handle, a DID nor a server URL (R1).
        public static let invalidIdentifier = Code(.invalidIdentifier)
        /// A DID document lacks or garbles what login needs: the PDS service, the handle (R5, R6).
        public static let invalidDIDDocument = Code(.invalidDIDDocument)
        /// A scope string does not parse, or lacks `atproto` (R28).
        public static let invalidScope = Code(.invalidScope)
        /// A URL is malformed or not allowed here, e.g. plain http off loopback (R29).
        public static let invalidURL = Code(.invalidURL)
        /// A document that must be JSON is not.
        public static let invalidJSON = Code(.invalidJSON)
        /// A key is not the EC P-256 JWK DPoP needs, or its coordinates do not decode.
        public static let invalidJWK = Code(.invalidJWK)
        /// A compact JWS (a DPoP proof) is malformed or its signature does not verify.
        public static let invalidJWS = Code(.invalidJWS)
        /// Resource or authorization server metadata breaks the profile (R8, R9).
        public static let invalidMetadata = Code(.invalidMetadata)
        /// The client's own metadata breaks the profile (R10–R13).
        public static let invalidClientMetadata = Code(.invalidClientMetadata)
        /// The redirect back from the browser is malformed or does not match the request (R18).
        public static let invalidCallback = Code(.invalidCallback)
        /// The user or the server refused the authorization (`error=access_denied`).
        public static let authorizationDenied = Code(.authorizationDenied)
        /// The token response fails a check: token type, `sub`, scope, expiry (R20).
        public static let invalidTokenResponse = Code(.invalidTokenResponse)
        /// A server answered with an OAuth error object (`error`, `error_description`).
        public static let oauthError = Code(.oauthError)
        /// A stored session is unusable as found (bad version, missing fields) or an operation
        /// does not apply to it.
        public static let invalidSession = Code(.invalidSession)
        /// The `HTTPTransport` or `TXTResolver` failed (wrapped by the I/O layer).
        public static let transport = Code(.transport)
        /// Key generation, signing or hashing failed.
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
        /// The session is marked by a `store move` that was interrupted: it is not used until
        /// the move is run again and finishes (R24: never live in two stores).
        public static let accountMoving = Code(.accountMoving)
        /// A session written to another store did not read back the same: it stays where it was.
        public static let moveNotVerified = Code(.moveNotVerified)
    }

    /// The class of failure, for callers that branch; `reason` is for people.
    public let code: Code
    /// The profile rule this enforces, e.g. `"R9"`; `nil` when no rule applies.
    public let rule: String?
    /// The field, parameter or place that was wrong, e.g. `"issuer"` or `"handle"`.
    public let field: String?
    /// Why it was wrong, in words a person can act on.
    public let reason: String

    /// Creates an error; `reason` must never contain a secret value.
    public init(_ code: Code, rule: String? = nil, field: String? = nil, _ reason: String) {
        self.code = code
        self.rule = rule
        self.field = field
        self.reason = reason
    }

    /// `R9 issuer: reason`: the rule and the field first, so a reader sees what to look up.
    public var description: String {
        var prefix = ""
        if let rule { prefix += "\(rule) " }
        if let field { prefix += "\(field): " }
        return prefix + reason
    }
}
