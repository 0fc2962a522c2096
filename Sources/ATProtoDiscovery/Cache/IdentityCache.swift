import ATProtoOAuth
import Foundation

/// In-memory identity cache for auth flows (R7): handle → DID, DID → document and
/// DID → (PDS, issuer), each entry kept at most `lifetime` (never more than 10 minutes).
///
/// Why a cache at all: a refresh or a subject check (R21) right after a login would otherwise
/// repeat three round trips for answers that cannot usefully have changed. Why so short:
/// handles and PDS moves must take effect quickly, and the profile caps it at 10 minutes.
///
/// Entries are keyed by the directory/resolver that produced them (see `Discovery`), so two
/// networks (a dev network and production) never see each other's answers. Time comes from the
/// caller (`now:`), which lets tests move a fake clock past the lifetime.
public actor IdentityCache {
    /// The process-wide cache the CLI and TUI share.
    public static let shared = IdentityCache()

    /// The longest any entry is trusted (R7).
    public static let maximumLifetime: Duration = .seconds(600)

    /// How long entries live: what was asked for, capped at ``maximumLifetime``.
    public nonisolated let lifetime: Duration

    struct Entry<Value: Sendable>: Sendable {
        let value: Value
        let expires: Date
    }

    struct CachedDocument: Sendable {
        let document: DIDDocument
        let json: JSONValue?
    }

    private var handles: [String: Entry<DID>] = [:]
    private var documents: [String: Entry<CachedDocument>] = [:]
    private var issuers: [String: Entry<(pds: URL, issuer: URL)>] = [:]

    public init(lifetime: Duration = .seconds(600)) {
        self.lifetime = min(max(lifetime, .zero), IdentityCache.maximumLifetime)
    }

    /// Forgets everything (e.g. after a failed login, so the next attempt resolves afresh).
    public func removeAll() {
        handles.removeAll()
        documents.removeAll()
        issuers.removeAll()
    }

    /// How many live entries there are at `now` (for tests and `--verbose`).
    public func count(now: Date) -> Int {
        handles.values.filter { $0.expires > now }.count + documents.values.filter { $0.expires > now }.count
            + issuers.values.filter { $0.expires > now }.count
    }

    private func expiry(_ now: Date) -> Date {
        now.addingTimeInterval(lifetime.timeInterval)
    }

    func did(forHandle handle: Handle, scope: String, now: Date) -> DID? {
        let key = scope + "|" + handle.rawValue
        guard let entry = handles[key] else { return nil }
        guard entry.expires > now else {
            handles[key] = nil
            return nil
        }
        return entry.value
    }

    func store(_ did: DID, forHandle handle: Handle, scope: String, now: Date) {
        handles[scope + "|" + handle.rawValue] = Entry(value: did, expires: expiry(now))
    }

    func document(for did: DID, scope: String, now: Date) -> CachedDocument? {
        let key = scope + "|" + did.rawValue
        guard let entry = documents[key] else { return nil }
        guard entry.expires > now else {
            documents[key] = nil
            return nil
        }
        return entry.value
    }

    func store(_ document: CachedDocument, for did: DID, scope: String, now: Date) {
        documents[scope + "|" + did.rawValue] = Entry(value: document, expires: expiry(now))
    }

    func servers(for did: DID, scope: String, now: Date) -> (pds: URL, issuer: URL)? {
        let key = scope + "|" + did.rawValue
        guard let entry = issuers[key] else { return nil }
        guard entry.expires > now else {
            issuers[key] = nil
            return nil
        }
        return entry.value
    }

    func store(pds: URL, issuer: URL, for did: DID, scope: String, now: Date) {
        issuers[scope + "|" + did.rawValue] = Entry(value: (pds, issuer), expires: expiry(now))
    }
}
