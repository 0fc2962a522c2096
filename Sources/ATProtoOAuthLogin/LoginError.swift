/// The one error type of the login flow: which step failed and why, in words a person can act on.
///
/// Errors from the protocol core (`ATProtoOAuthError`) and discovery keep their own rule and
/// field in `reason`; this type adds the step (`listener`, `par`, `browser`, `callback`,
/// `token`, `verify-subject`, `save`). The error that caused the failure, when there was
/// one, is kept typed in ``underlying`` (a `DiscoveryError`, the transport's own error, an
/// `ATProtoOAuthError`, the store's error), so callers branch on the cause, never on text:
///
/// ```swift
/// catch let error as LoginError where error.underlying is DiscoveryError { … }
/// ```
///
/// Equality and hashing compare code, step and reason; the cause is not compared.
public struct LoginError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case discovery, clientMetadata, listener, par, browser, callback, denied, timeout, cancelled, token,
                subject, save
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        public var description: String { base.rawValue }

        public static let discovery = Code(.discovery)
        /// The hosted client-metadata document failed R10–R12.
        public static let clientMetadata = Code(.clientMetadata)
        public static let listener = Code(.listener)
        public static let par = Code(.par)
        public static let browser = Code(.browser)
        /// The callback was refused (R18: state, iss, code).
        public static let callback = Code(.callback)
        /// The user or the server denied the authorization (`access_denied`).
        public static let denied = Code(.denied)
        public static let timeout = Code(.timeout)
        public static let cancelled = Code(.cancelled)
        /// The token request failed or its response broke R20.
        public static let token = Code(.token)
        /// The token's `sub` is not the account that was asked for (R21).
        public static let subject = Code(.subject)
        public static let save = Code(.save)

        /// The login step this kind of failure belongs to.
        var step: String {
            switch base {
            case .discovery: "discovery"
            case .clientMetadata: "client-metadata"
            case .listener: "listener"
            case .par: "par"
            case .browser: "browser"
            case .callback, .denied, .timeout, .cancelled: "callback"
            case .token: "token"
            case .subject: "verify-subject"
            case .save: "save"
            }
        }
    }

    public let code: Code
    /// The step that failed, one of the names `LoginFlow` reports.
    public let step: String
    public let reason: String
    /// The typed error behind this failure, e.g. the transport's error when the token request
    /// never got an answer; `nil` when the login flow itself found the fault.
    public let underlying: (any Error)?

    public init(_ code: Code, step: String? = nil, _ reason: String, underlying: (any Error)? = nil) {
        self.code = code
        self.step = step ?? code.step
        self.reason = reason
        self.underlying = underlying
    }

    /// Wraps `error` as a failure of `code`'s step, its description as the reason; a
    /// `LoginError` is returned as it is.
    public static func wrapping(_ error: any Error, as code: Code, step: String? = nil) -> LoginError {
        if let error = error as? LoginError { return error }
        return LoginError(code, step: step, String(describing: error), underlying: error)
    }

    /// The innermost cause: ``underlying`` followed through nested `LoginError`s.
    public var rootCause: (any Error)? {
        var cause = underlying
        while let login = cause as? LoginError, let next = login.underlying { cause = next }
        return cause
    }

    public static func == (lhs: LoginError, rhs: LoginError) -> Bool {
        lhs.code == rhs.code && lhs.step == rhs.step && lhs.reason == rhs.reason
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(step)
        hasher.combine(reason)
    }

    public var description: String { "\(step): \(reason)" }
}
