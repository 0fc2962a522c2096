/// A handle or a DID — the `at-identifier` of the atproto specs.
public enum ATIdentifier: Hashable, Sendable, CustomStringConvertible {
    /// A handle, which must be resolved to a DID (R3) and checked against it (R5).
    case handle(Handle)
    /// A DID, the account's stable identity.
    case did(DID)

    /// Parses a DID when the string starts with `did:`, otherwise a handle (R2, R4).
    public init(_ string: String) throws {
        if string.hasPrefix("did:") {
            self = .did(try DID(string))
        } else {
            self = .handle(try Handle(string))
        }
    }

    /// The handle or DID as text.
    public var description: String {
        switch self {
        case .handle(let handle): handle.rawValue
        case .did(let did): did.rawValue
        }
    }
}
