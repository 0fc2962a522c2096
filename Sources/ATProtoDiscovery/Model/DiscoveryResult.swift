import ATProtoOAuth
import Foundation

/// Everything a login needs, validated: who the account is and which servers to talk to.
public struct DiscoveryResult: Sendable, Codable, Hashable {
    /// What the person typed, normalised (`LoginInput.typed`); the `login_hint` (R7).
    public var input: String
    /// The account DID; `nil` when the login started from a server URL (R1).
    public var did: DID?
    /// The handle: the one typed, or the document's claim when the input was a DID.
    public var handle: Handle?
    /// Whether handle → DID and DID → handle agree (R5).
    public var handleVerified: Bool
    /// The account's DID document, as resolved; `nil` when the login started from a server URL.
    public var didDocument: DIDDocument?
    /// The PDS (or, from a server URL, the origin typed).
    public var pds: URL
    /// The authorization server origin: the `issuer` every token must come from.
    public var issuer: URL
    /// `nil` when a server URL had no resource metadata and is its own authorization server.
    public var resourceMetadata: ProtectedResourceMetadata?
    /// The issuer's metadata: the endpoints a login and its refreshes use.
    public var authorizationServerMetadata: AuthorizationServerMetadata
    /// Every named R8/R9 check, in order.
    public var checks: [ProfileCheck]
    /// The final state of every step, in `DiscoveryStepName` order.
    public var steps: [FlowStep]

    /// Assembles a result (discovery does; tests build one directly).
    public init(
        input: String, did: DID?, handle: Handle?, handleVerified: Bool, didDocument: DIDDocument?, pds: URL,
        issuer: URL, resourceMetadata: ProtectedResourceMetadata?,
        authorizationServerMetadata: AuthorizationServerMetadata, checks: [ProfileCheck], steps: [FlowStep]
    ) {
        self.input = input
        self.did = did
        self.handle = handle
        self.handleVerified = handleVerified
        self.didDocument = didDocument
        self.pds = pds
        self.issuer = issuer
        self.resourceMetadata = resourceMetadata
        self.authorizationServerMetadata = authorizationServerMetadata
        self.checks = checks
        self.steps = steps
    }
}

/// One event of a running discovery, for `AsyncStream` consumers (the TUI).
public enum DiscoveryEvent: Sendable {
    /// A step changed state (or gained a sub-result).
    case step(FlowStep)
    /// The last event: the result, or the error naming the failed step.
    case finished(Result<DiscoveryResult, DiscoveryError>)
}
