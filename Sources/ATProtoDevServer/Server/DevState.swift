import ATProtoOAuth
import Foundation
import Logging

/// Everything the dev network remembers, in one actor: the parts are one process, so the
/// authorization servers and PDSes share a token store the way a real deployment shares a
/// database. Route handlers live in extensions, one file per concern.
actor DevState {
    let configuration: DevNetworkConfiguration
    let logger: Logger
    /// The seeded (and generated) accounts under this network's names (`.test`, or the TLS
    /// mode's host names).
    let accounts: [DevAccount]
    var topology = DevTopology(origins: [:])
    var latency: Duration
    var failures: (count: Int, mode: DevFailureMode) = (0, .status500)
    var log: [DevRequestLogEntry] = []

    // DPoP
    var nonces: [DevPart: NonceRing] = [:]
    /// jti → when it stops mattering (iat window passed).
    var seenJTIs: [String: Date] = [:]

    // OAuth
    var pushedRequests: [String: PushedRequest] = [:]
    var codes: [String: CodeGrant] = [:]
    var sessions: [String: DevSession] = [:]
    var accessTokens: [String: AccessTokenRecord] = [:]
    var refreshTokens: [String: RefreshTokenRecord] = [:]
    /// Refresh tokens presented after they were spent (each revoked its session, R24).
    var refreshTokenReplays = 0

    // Identity
    /// Accounts moved away from their seeded PDS (`DevNetwork.moveAccount`), by DID.
    var movedAccounts: [String: DevPart] = [:]

    init(configuration: DevNetworkConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.accounts = DevAccount.all(tls: configuration.tls, generated: configuration.generatedAccounts)
        self.latency = configuration.latency
    }

    /// The configured clock's time (`DevNetworkConfiguration.clock`).
    func now() -> Date { configuration.clock.now() }

    func setTopology(_ topology: DevTopology) { self.topology = topology }
    func setLatency(_ latency: Duration) { self.latency = latency }
    func setFailures(_ count: Int, mode: DevFailureMode) { failures = (max(0, count), mode) }
    func requestLog() -> [DevRequestLogEntry] { log }
    func clearRequestLog() { log.removeAll() }

    /// Takes one injected failure for a request to `path`, if any apply.
    func takeFailure(path: String) -> DevFailureMode? {
        if configuration.hangingPaths.contains(where: { path.hasPrefix($0) }) { return .hang }
        guard failures.count > 0 else {
            // The random knobs (soak tests): hangs first, then 500s, from one draw.
            let draw = Double.random(in: 0..<1)
            if draw < configuration.randomHangRate { return .hang }
            if draw < configuration.randomHangRate + configuration.randomFailureRate { return .status500 }
            return nil
        }
        failures.count -= 1
        return failures.mode
    }

    func record(_ entry: DevRequestLogEntry) {
        log.append(entry)
        logger.info(
            "\(entry.method) \(entry.origin)\(entry.path) → \(entry.status)",
            metadata: entry.dpopJKT.map { ["jkt": .string($0)] } ?? [:])
    }

    // MARK: Accounts

    /// The PDS hosting `account` now: its seeded one unless it has moved.
    func pdsPart(of account: DevAccount) -> DevPart { movedAccounts[account.did] ?? account.pds }

    /// The accounts whose PDS trusts the authorization server `part`.
    func accounts(authorizedBy part: DevPart) -> [DevAccount] {
        accounts.filter { pdsPart(of: $0).authorizationServerOfPDS == part }
    }

    /// Moves an account to another PDS, as a PLC operation would: its DID document names the
    /// new PDS from now on. Sessions stay with the authorization server that issued them.
    func moveAccount(did: String, toPDSOrigin origin: String) throws(ATProtoDevServerError) {
        guard let account = accounts.first(where: { $0.did == did }) else {
            throw ATProtoDevServerError(.unknownAccount, part: DevPart.plc.rawValue, "no seeded account has DID \(did)")
        }
        guard let pds = topology.pds(at: origin) else {
            throw ATProtoDevServerError(
                .unknownAccount, part: DevPart.plc.rawValue, "no PDS of this network is at \(origin)")
        }
        movedAccounts[did] = pds == account.pds ? nil : pds
    }

    /// Revokes every session of an account server-side (an admin action, a password change):
    /// its access and refresh tokens stop working at once. Returns how many were live.
    func revokeSessions(did: String) -> Int {
        var count = 0
        for (id, session) in sessions where session.account.did == did && !session.revoked {
            sessions[id]?.revoked = true
            count += 1
        }
        return count
    }

    // MARK: Nonces (R23)

    /// A server's nonce pair: the current one is handed out, the previous one still accepted.
    struct NonceRing: Sendable {
        var current: String
        var previous: String?
        var rotatedAt: Date
    }

    /// The current nonce of `part`, rotating it first when its lifetime has passed.
    func currentNonce(_ part: DevPart) -> String {
        let time = now()
        let lifetime = configuration.nonceLifetime.timeInterval
        guard var ring = nonces[part] else {
            let ring = NonceRing(current: Self.randomString(), previous: nil, rotatedAt: time)
            nonces[part] = ring
            return ring.current
        }
        if time.timeIntervalSince(ring.rotatedAt) >= lifetime {
            // Two lifetimes idle: the old current is stale too.
            ring.previous = time.timeIntervalSince(ring.rotatedAt) < 2 * lifetime ? ring.current : nil
            ring.current = Self.randomString()
            ring.rotatedAt = time
            nonces[part] = ring
        }
        return ring.current
    }

    func acceptsNonce(_ nonce: String?, at part: DevPart) -> Bool {
        let current = currentNonce(part)
        guard let nonce else { return false }
        return nonce == current || nonce == nonces[part]?.previous
    }

    // MARK: Randomness

    /// 32 bytes from the system CSPRNG, base64url: tokens, codes, nonces, request ids.
    static func randomString(bytes: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<bytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }
}
