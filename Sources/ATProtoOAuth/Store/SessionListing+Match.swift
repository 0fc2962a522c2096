import Foundation

/// How a person names an account, decided once for every store: a DID exactly (DIDs are
/// case-sensitive), else a handle exactly but case-insensitively, else a unique prefix of a
/// handle (case-insensitive) or of a DID.
public enum AccountMatch<Account: Sendable>: Sendable {
    case found(Account)
    /// Several accounts share the prefix.
    case ambiguous([Account])
    case none
}

/// What accounts are named by: a stored session, or its summary.
public protocol AccountNamed: Sendable {
    var did: DID { get }
    var handle: Handle? { get }
}

extension Session: AccountNamed {}
extension SessionSummary: AccountNamed {}

extension Array where Element: AccountNamed {
    /// The account `needle` (a ``SessionListing/accountQuery(_:)``) names among these.
    public func match(account needle: String) -> AccountMatch<Element> {
        if let byDID = first(where: { $0.did.rawValue == needle }) { return .found(byDID) }
        let lowered = needle.lowercased()
        if let byHandle = first(where: { $0.handle?.rawValue == lowered }) { return .found(byHandle) }
        let candidates = filter {
            ($0.handle?.rawValue.hasPrefix(lowered) ?? false) || $0.did.rawValue.hasPrefix(needle)
        }
        switch candidates.count {
        case 0: return .none
        case 1: return candidates.first.map(AccountMatch.found) ?? .none
        default: return .ambiguous(candidates)
        }
    }

    /// `alice.test (did:plc:…), did:plc:…` for messages.
    public var accountNames: String {
        map { account in
            account.handle.map { "\($0.rawValue) (\(account.did.rawValue))" } ?? account.did.rawValue
        }.joined(separator: ", ")
    }
}

extension SessionListing {
    /// What a person typed, trimmed and without a leading `@`.
    public static func accountQuery(_ typed: String) -> String {
        var needle = typed.trimmingCharacters(in: .whitespacesAndNewlines)
        if needle.hasPrefix("@") { needle.removeFirst() }
        return needle
    }
}
