/// The one error type of this module. Replaced by the module's real error type as it is built.
public struct LoginError: Error, Hashable, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
