/// The one error type of the dev network module.
///
/// A public struct wrapping a private code enum so cases can grow without breaking
/// callers. The dev network fails while starting (a port is taken, a socket cannot be
/// opened) or when a control call names an account or PDS it does not have; protocol rejections are HTTP responses, never Swift errors.
public struct ATProtoDevServerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Broad classes of failure, stable for callers that branch on them.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case socket
            case alreadyStarted
            case startFailed
            case unknownAccount
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        public var description: String { base.rawValue }

        /// A UDP or TCP socket could not be created, bound or read.
        public static let socket = Code(.socket)
        /// `start()` was called on a network that is already running.
        public static let alreadyStarted = Code(.alreadyStarted)
        /// One of the HTTP servers did not start listening.
        public static let startFailed = Code(.startFailed)
        /// A control call named a DID or PDS the dev network does not have.
        public static let unknownAccount = Code(.unknownAccount)
    }

    public let code: Code
    /// Which part failed, e.g. `"dns"`, `"plc"` or `"entryway"`.
    public let part: String?
    /// Why it failed, in words a person can act on.
    public let reason: String

    public init(_ code: Code, part: String? = nil, _ reason: String) {
        self.code = code
        self.part = part
        self.reason = reason
    }

    public var description: String {
        if let part { return "dev network \(part): \(reason)" }
        return "dev network: \(reason)"
    }
}
