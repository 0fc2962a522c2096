import ATProtoOAuth
import Foundation

/// In-memory identity cache for auth flows (R7): handle → DID, DID → document and
/// DID → (PDS, issuer), and the servers' metadata documents, each entry kept at most
/// `lifetime` (never more than 10 minutes).
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
    /// Successful answers for the servers' metadata documents (R8, R9), by URL: a second login
    /// at the same servers (the TUI's re-login) re-checks them without fetching them again.
    private var metadata: [String: Entry<HTTPResponse>] = [:]

    /// An empty cache whose entries live `lifetime`, capped at the 10 minutes R7 allows.
    public init(lifetime: Duration = .seconds(600)) {
        self.lifetime = min(max(lifetime, .zero), IdentityCache.maximumLifetime)
    }

    /// Forgets everything (e.g. after a failed login, so the next attempt resolves afresh).
    public func removeAll() {
        handles.removeAll()
        documents.removeAll()
        issuers.removeAll()
        metadata.removeAll()
    }

    /// How many live entries there are at `now` (for tests and `--verbose`).
    public func count(now: Date) -> Int {
        handles.values.filter { $0.expires > now }.count + documents.values.filter { $0.expires > now }.count
            + issuers.values.filter { $0.expires > now }.count + metadata.values.filter { $0.expires > now }.count
    }

    func did(forHandle handle: Handle, scope: String, now: Date) -> DID? {
        Self.live(&handles, scope + "|" + handle.rawValue, now: now)
    }

    func store(_ did: DID, forHandle handle: Handle, scope: String, now: Date) {
        handles[scope + "|" + handle.rawValue] = entry(did, now: now)
    }

    func document(for did: DID, scope: String, now: Date) -> CachedDocument? {
        Self.live(&documents, scope + "|" + did.rawValue, now: now)
    }

    func store(_ document: CachedDocument, for did: DID, scope: String, now: Date) {
        documents[scope + "|" + did.rawValue] = entry(document, now: now)
    }

    func metadataResponse(for url: URL, now: Date) -> HTTPResponse? {
        Self.live(&metadata, url.absoluteString, now: now)
    }

    func store(metadataResponse response: HTTPResponse, for url: URL, now: Date) {
        metadata[url.absoluteString] = entry(response, now: now)
    }

    func servers(for did: DID, scope: String, now: Date) -> (pds: URL, issuer: URL)? {
        Self.live(&issuers, scope + "|" + did.rawValue, now: now)
    }

    func store(pds: URL, issuer: URL, for did: DID, scope: String, now: Date) {
        issuers[scope + "|" + did.rawValue] = entry((pds, issuer), now: now)
    }

    private func entry<Value>(_ value: Value, now: Date) -> Entry<Value> {
        Entry(value: value, expires: now.addingTimeInterval(lifetime.timeInterval))
    }

    /// The entry's value while it is live; an expired entry is dropped on the way.
    private static func live<Value>(_ entries: inout [String: Entry<Value>], _ key: String, now: Date) -> Value? {
        guard let entry = entries[key] else { return nil }
        guard entry.expires > now else {
            entries[key] = nil
            return nil
        }
        return entry.value
    }
}
