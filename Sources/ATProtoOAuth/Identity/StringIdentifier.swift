/// An identifier that is a validated string (`Handle`, `DID`, `NSID`): it prints as that
/// string and is encoded as a bare JSON string; decoding validates, so a session file or a
/// server document cannot smuggle in a malformed identifier, and the error says why.
public protocol StringIdentifier: Codable, CustomStringConvertible {
    /// The validated string, as it goes over the wire.
    var rawValue: String { get }
    /// Validates `string`, throwing an ``ATProtoOAuthError`` that says what is wrong.
    init(_ string: String) throws
}

extension StringIdentifier {
    /// The identifier itself, so it prints as it is typed.
    public var description: String { rawValue }

    /// Decodes a JSON string and validates it, so a malformed identifier never gets in.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        try self.init(container.decode(String.self))
    }

    /// Encodes the bare string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
