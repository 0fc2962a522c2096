/// An identifier that is a validated string (`Handle`, `DID`, `NSID`): it prints as that
/// string and is encoded as a bare JSON string; decoding validates, so a session file or a
/// server document cannot smuggle in a malformed identifier, and the error says why.
public protocol StringIdentifier: Codable, CustomStringConvertible {
    var rawValue: String { get }
    init(_ string: String) throws
}

extension StringIdentifier {
    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        try self.init(container.decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
