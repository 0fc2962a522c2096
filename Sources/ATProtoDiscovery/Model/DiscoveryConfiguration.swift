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

    public static let defaultPLCDirectory = URL(string: "https://plc.directory")

    public init(
        plcDirectory: URL, handleResolver: URL? = nil, allowHTTPLoopback: Bool = false, useCache: Bool = true
    ) {
        self.plcDirectory = plcDirectory
        self.handleResolver = handleResolver
        self.allowHTTPLoopback = allowHTTPLoopback
        self.useCache = useCache
    }
}
