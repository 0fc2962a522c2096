import Foundation

/// How a person names an account, decided once for every store: a DID exactly (DIDs are
/// case-sensitive), else a handle exactly but case-insensitively, else a unique prefix of a
/// handle (case-insensitive) or of a DID.
public enum AccountMatch: Sendable {
    case found(Session)
    /// Several accounts share the prefix.
    case ambiguous([Session])
    case none
}

extension SessionListing {
    /// What a person typed, trimmed and without a leading `@`.
    public static func accountQuery(_ typed: String) -> String {
        var needle = typed.trimmingCharacters(in: .whitespacesAndNewlines)
        if needle.hasPrefix("@") { needle.removeFirst() }
        return needle
    }

    /// The session `needle` (an ``accountQuery(_:)``) names among the loaded ones.
    public func match(account needle: String) -> AccountMatch {
        if let byDID = sessions.first(where: { $0.did.rawValue == needle }) { return .found(byDID) }
        let lowered = needle.lowercased()
        if let byHandle = sessions.first(where: { $0.handle?.rawValue == lowered }) { return .found(byHandle) }
        let candidates = sessions.filter {
            ($0.handle?.rawValue.hasPrefix(lowered) ?? false) || $0.did.rawValue.hasPrefix(needle)
        }
        switch candidates.count {
        case 0: return .none
        case 1: return candidates.first.map(AccountMatch.found) ?? .none
        default: return .ambiguous(candidates)
        }
    }

    /// `alice.test (did:plc:…), did:plc:…` for messages.
    public static func accountNames(_ sessions: [Session]) -> String {
        sessions.map { session in
            session.handle.map { "\($0.rawValue) (\(session.did.rawValue))" } ?? session.did.rawValue
        }.joined(separator: ", ")
    }
}
