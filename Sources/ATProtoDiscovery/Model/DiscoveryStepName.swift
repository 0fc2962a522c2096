/// The fixed names of the discovery steps, in the order they run. The CLI, the TUI and
/// tests key on these strings.
public enum DiscoveryStepName: String, CaseIterable, Sendable, Codable, Hashable, CustomStringConvertible {
    /// Handle → DID: DNS TXT `_atproto.<handle>` and HTTPS well-known, or XRPC (R2, R3).
    case resolveHandle = "resolve-handle"
    /// DID → document: PLC directory or did:web well-known (R4).
    case resolveDID = "resolve-did"
    /// The document's first `at://` alias equals the handle (R5).
    case verifyHandle = "verify-handle"
    /// The `#atproto_pds` service endpoint of the document (R6).
    case pdsEndpoint = "pds-endpoint"
    /// `<pds>/.well-known/oauth-protected-resource` and its one authorization server (R8).
    case resourceMetadata = "resource-metadata"
    /// `<issuer>/.well-known/oauth-authorization-server` (R9).
    case authorizationServerMetadata = "authorization-server-metadata"
    /// Every named R8/R9 check of both documents.
    case profileChecks = "profile-checks"

    /// The step's fixed name, e.g. `resolve-handle`.
    public var description: String { rawValue }
}
