/// The one error type of the dev network module. Filled in by the dev-server work.
public struct ATProtoDevServerError: Error, Hashable, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
