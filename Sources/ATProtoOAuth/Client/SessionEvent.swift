/// Something that happened to a stored session, for whoever shows or caches sessions (the
/// TUI redraws a row; a service drops a cached agent).
///
/// Events describe this process's own actions; changes made by other processes are seen by
/// reading the store again.
public enum SessionEvent: Sendable, CustomStringConvertible {
    /// A login saved a session, or a refresh saved new tokens. Redacted when printed.
    case updated(Session)
    /// The session can no longer be refreshed (refused refresh token, changed issuer,
    /// R21/R24): it stays stored, marked, until a new login.
    case needsLogin(DID, reason: String)
    /// The session was removed (logout).
    case deleted(DID)

    public var did: DID {
        switch self {
        case .updated(let session): session.did
        case .needsLogin(let did, _), .deleted(let did): did
        }
    }

    public var description: String {
        switch self {
        case .updated(let session): "updated(\(session.did))"
        case .needsLogin(let did, let reason): "needsLogin(\(did): \(reason))"
        case .deleted(let did): "deleted(\(did))"
        }
    }
}
