import ATProtoOAuth
import Foundation

/// How a `DevNetwork` behaves: ports, lifetimes and the knobs tests turn.
///
/// Lifetimes default to what a real Bluesky entryway uses (a 5-minute access token, a
/// 3-minute nonce rotation, a 14-day refresh window, R26) so a client that works here
/// works there; tests shorten them to exercise expiry.
public struct DevNetworkConfiguration: Sendable {
    /// 0: every part on its own ephemeral port. N: PLC on N, entryway N+1, entryway PDS
    /// N+2, self-hosted PDS N+3, DNS (UDP) N+4, second entryway PDS N+5, TLS proxy N+6
    /// (``tls`` only).
    public var basePort: UInt16
    /// Skip the consent page: `/oauth/authorize` redirects with a code at once.
    public var autoApprove: Bool
    /// Added before every HTTP response, to make round trips visible in benchmarks.
    public var latency: Duration
    public var accessTokenLifetime: Duration
    /// How often each server's `DPoP-Nonce` rotates; the previous nonce stays valid for
    /// one more period so in-flight requests do not fail (R23).
    public var nonceLifetime: Duration
    /// How long a PAR `request_uri` can be used at the authorization endpoint.
    public var requestURILifetime: Duration
    /// How long an authorization code can be exchanged.
    public var codeLifetime: Duration
    /// How long a session (and so each refresh token) lives after login (R26).
    public var refreshTokenLifetime: Duration
    /// The accepted distance between a DPoP proof's `iat` and the server clock, both ways.
    public var proofMaxAge: Duration
    /// Fetches hosted client-metadata documents (R10). `nil` refuses hosted client ids;
    /// the localhost development client id (R13) needs no fetch.
    public var clientMetadataFetcher: (any HTTPTransport)?
    /// The time every lifetime above is measured against; tests inject a manual clock.
    public var clock: DevClock
    /// Production mode: reach the network the way a real one is reached, so a client can use
    /// it WITHOUT `--allow-http-loopback`. Every part gets an https origin on port 443 under
    /// ``DevHostNames/domain`` (e.g. `https://plc.devnet.atproto-oauth.dev`), handles move
    /// there too (`alice.devnet.atproto-oauth.dev`, each serving
    /// `/.well-known/atproto-did`), and a CONNECT proxy on 127.0.0.1 terminates TLS with a
    /// throwaway CA. Clients set `HTTPS_PROXY` to ``DevNetworkInfo/proxy`` and trust
    /// ``DevNetworkInfo/caFile``. The DIDs stay the same.
    public var tls: Bool
    /// Accounts beyond alice, bob and carol, all on the entryway PDS: `user0.test` … (in TLS
    /// mode `user0.devnet.atproto-oauth.dev` …), for benchmarks of many accounts. Default 0.
    public var generatedAccounts: Int
    /// The share of requests (0…1) answered 500 at random, for soak tests.
    public var randomFailureRate: Double
    /// The share of requests (0…1) never answered at random (the client's time-out must fire).
    public var randomHangRate: Double
    /// Requests whose path starts with one of these are never answered: a time-out forced at
    /// one chosen step (`/did:` the DID document, `/oauth/token` the token request, …).
    public var hangingPaths: [String]

    public init(
        basePort: UInt16 = 0,
        autoApprove: Bool = false,
        latency: Duration = .zero,
        accessTokenLifetime: Duration = .seconds(300),
        nonceLifetime: Duration = .seconds(180),
        requestURILifetime: Duration = .seconds(60),
        codeLifetime: Duration = .seconds(60),
        refreshTokenLifetime: Duration = .seconds(14 * 24 * 3600),
        proofMaxAge: Duration = .seconds(60),
        clientMetadataFetcher: (any HTTPTransport)? = nil,
        clock: DevClock = .system,
        tls: Bool = false,
        generatedAccounts: Int = 0,
        randomFailureRate: Double = 0,
        randomHangRate: Double = 0,
        hangingPaths: [String] = []
    ) {
        self.basePort = basePort
        self.autoApprove = autoApprove
        self.latency = latency
        self.accessTokenLifetime = accessTokenLifetime
        self.nonceLifetime = nonceLifetime
        self.requestURILifetime = requestURILifetime
        self.codeLifetime = codeLifetime
        self.refreshTokenLifetime = refreshTokenLifetime
        self.proofMaxAge = proofMaxAge
        self.clientMetadataFetcher = clientMetadataFetcher
        self.clock = clock
        self.tls = tls
        self.generatedAccounts = generatedAccounts
        self.randomFailureRate = min(max(randomFailureRate, 0), 1)
        self.randomHangRate = min(max(randomHangRate, 0), 1)
        self.hangingPaths = hangingPaths
    }
}

/// One account the dev network knows from the start. Stable across runs.
public struct SeededAccount: Codable, Sendable, Hashable {
    public let handle: String
    public let did: String
    /// The origin of the PDS hosting the account.
    public let pds: String

    public init(handle: String, did: String, pds: String) {
        self.handle = handle
        self.did = did
        self.pds = pds
    }
}

/// Where each part of a running dev network listens: what a client needs to use it.
public struct DevNetworkInfo: Codable, Sendable, Hashable {
    /// PLC directory origin (`--plc-url`).
    public let plc: String
    /// The entryway authorization server origin (like `https://bsky.social`).
    public let entryway: String
    /// PDS origins: `[entryway PDS (alice, bob), self-hosted PDS (carol, its own AS), second
    /// entryway PDS (empty until an account moves there, `DevNetwork.moveAccount`)]`.
    public let pds: [String]
    /// An XRPC origin serving `com.atproto.identity.resolveHandle` (`--handle-resolver`).
    public let handleResolver: String
    /// The DNS responder, `127.0.0.1:PORT` (`--dns-server`).
    public let dns: String
    public let accounts: [SeededAccount]
    /// The exact global flags a client needs to use this network. In TLS mode they are
    /// `--plc-url https://plc… --dns-server 127.0.0.1:PORT --ca-file PATH` (production mode:
    /// no `--allow-http-loopback`, handles resolved by DNS and HTTPS), and the client must
    /// also have `HTTPS_PROXY` set to ``proxy`` in its environment.
    public let clientFlags: [String]
    /// TLS mode only: the CONNECT proxy every https request must go through,
    /// `http://127.0.0.1:PORT` (the client's `HTTPS_PROXY`).
    public let proxy: String?
    /// TLS mode only: the PEM file of the network's throwaway CA (the client's `--ca-file`
    /// or `SSL_CERT_FILE`). Removed when the network stops.
    public let caFile: String?

    public init(
        plc: String, entryway: String, pds: [String], handleResolver: String, dns: String,
        accounts: [SeededAccount], clientFlags: [String], proxy: String? = nil, caFile: String? = nil
    ) {
        self.plc = plc
        self.entryway = entryway
        self.pds = pds
        self.handleResolver = handleResolver
        self.dns = dns
        self.accounts = accounts
        self.clientFlags = clientFlags
        self.proxy = proxy
        self.caFile = caFile
    }

    /// The environment a client process needs besides ``clientFlags``: `HTTPS_PROXY` in TLS
    /// mode, nothing otherwise.
    public var clientEnvironment: [String: String] {
        proxy.map { ["HTTPS_PROXY": $0] } ?? [:]
    }
}

/// How injected failures behave (`DevNetwork.failNextRequests`).
public enum DevFailureMode: Sendable, Hashable {
    /// Answer 500 with a JSON error body.
    case status500
    /// Never answer; the client's time-out must fire.
    case hang
}

/// One HTTP request the dev network served. Holds no secrets: no query, no tokens.
public struct DevRequestLogEntry: Codable, Sendable, Hashable {
    public let time: Date
    /// The origin of the part that served it, e.g. `http://127.0.0.1:2583`.
    public let origin: String
    public let method: String
    /// The path without its query.
    public let path: String
    public let status: Int
    /// The thumbprint of the DPoP key, when a structurally valid proof came with it.
    public let dpopJKT: String?

    public init(time: Date, origin: String, method: String, path: String, status: Int, dpopJKT: String?) {
        self.time = time
        self.origin = origin
        self.method = method
        self.path = path
        self.status = status
        self.dpopJKT = dpopJKT
    }
}
