import ATProtoOAuth

/// The one error type of the transport module. Filled in by the transport work.
public struct ATProtoHTTPError: Error, Hashable, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
