import Foundation

/// Where discovery looks things up, and how strict it is.
public struct DiscoveryConfiguration: Sendable, Hashable {
    /// The PLC directory serving `did:plc` documents (R4), e.g. `https://plc.directory`.
    public var plcDirectory: URL
    /// When set, handles are resolved with XRPC `com.atproto.identity.resolveHandle` at this
    /// service instead of DNS TXT + HTTPS well-known (R3).
    public var handleResolver: URL?
    /// Development only: accept `http://` loopback origins for PDS, authorization server and
    /// did:web with a localhost port (R29).
    public var allowHTTPLoopback: Bool
    /// Use the in-memory identity cache (R7). `false` resolves everything afresh (`--no-cache`).
    public var useCache: Bool

    /// The public PLC directory, the default for `did:plc` documents (R4).
    public static let defaultPLCDirectory = URL(string: "https://plc.directory")

    /// Points discovery at a PLC directory; the rest defaults to the public network's behaviour.
    public init(
        plcDirectory: URL, handleResolver: URL? = nil, allowHTTPLoopback: Bool = false, useCache: Bool = true
    ) {
        self.plcDirectory = plcDirectory
        self.handleResolver = handleResolver
        self.allowHTTPLoopback = allowHTTPLoopback
        self.useCache = useCache
    }
}
