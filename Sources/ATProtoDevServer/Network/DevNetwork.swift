import ATProtoLoopbackServer
import Foundation
import Logging

/// A strict ATProto network on 127.0.0.1, for tests, demos and benchmarks: a PLC
/// directory, an entryway authorization server with its PDS (alice.test, bob.test), a
/// self-hosted PDS that is its own authorization server (carol.test), and a DNS responder
/// for `_atproto.<handle>`.
///
/// With `DevNetworkConfiguration.tls` it is reached the way a real network is: https
/// origins on real-looking names (``DevHostNames``), a CONNECT proxy terminating TLS with a
/// throwaway CA, handles resolved by DNS TXT and by `https://<handle>/.well-known/atproto-did`;
/// a client uses it in production mode (`HTTPS_PROXY`, `--ca-file`, no
/// `--allow-http-loopback`).
///
/// It is stricter than the clients it checks: PAR only, PKCE S256, DPoP with rotating
/// nonces on every OAuth and resource request, single-use codes and rotating refresh tokens
/// whose replay kills the session.
///
/// ```swift
/// let network = DevNetwork(configuration: .init(autoApprove: true))
/// let info = try await network.start()
/// defer { Task { await network.stop() } }
/// // log in as alice.test with info.clientFlags …
/// ```
public actor DevNetwork {
    public let configuration: DevNetworkConfiguration
    private let state: DevState
    private let logger: Logger
    private var servers: [(part: DevPart, server: LoopbackHTTPServer)] = []
    private var dns: DevDNSServer?
    private var proxy: DevTLSProxy?
    /// TLS mode: the directory holding the CA certificate, removed at stop.
    private var tlsDirectory: URL?
    public private(set) var info: DevNetworkInfo?

    /// - Parameter logger: request lines go here (`info` level); never tokens or codes.
    public init(configuration: DevNetworkConfiguration = .init(), logger: Logger? = nil) {
        self.configuration = configuration
        let logger = logger ?? Logger(label: "atproto-oauth.dev-server", factory: { _ in SwiftLogNoOpLogHandler() })
        self.logger = logger
        self.state = DevState(configuration: configuration, logger: logger)
    }

    /// A logger writing request lines to standard error, for the `dev-server` command.
    public static func standardErrorLogger(level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: "atproto-oauth.dev-server", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = level
        return logger
    }

    /// Starts every part and returns where they listen.
    public func start() async throws -> DevNetworkInfo {
        guard info == nil, servers.isEmpty else {
            throw ATProtoDevServerError(.alreadyStarted, "the dev network is already running")
        }
        // Port offsets from `basePort`; DNS takes +4, so the PDS added later takes +5 and the
        // TLS proxy +6.
        let parts: [(part: DevPart, offset: UInt16)] = [
            (.plc, 0), (.entryway, 1), (.entrywayPDS, 2), (.selfHostedPDS, 3), (.secondEntrywayPDS, 5),
        ]
        let tls = configuration.tls
        let accounts = DevAccount.all(tls: tls, generated: configuration.generatedAccounts)
        var origins: [DevPart: String] = [:]
        var caFile: String?
        do {
            var listeners: [DevPart: Int] = [:]
            for (part, offset) in parts {
                let port = configuration.basePort == 0 ? 0 : configuration.basePort &+ offset
                let listener = try await startServer(part, port: port)
                listeners[part] = listener
                origins[part] = tls ? "https://\(DevHostNames.host(part))" : "http://127.0.0.1:\(listener)"
            }
            await state.setTopology(DevTopology(origins: origins))
            let dnsPort = configuration.basePort == 0 ? 0 : configuration.basePort &+ 4
            // TLS mode: bob's handle has no TXT record, so it resolves only by the HTTPS
            // well-known (both R3 paths are exercised); alice and carol have both.
            let records = Dictionary(
                uniqueKeysWithValues: accounts.filter { !tls || $0.name != "bob" }.map {
                    ("_atproto.\($0.handle)", ["did=\($0.did)"])
                })
            dns = try DevDNSServer(records: records, port: dnsPort)
            if tls {
                caFile = try await startProxy(listeners: listeners, accounts: accounts)
            }
        } catch {
            await stop()
            throw error
        }
        let dnsAddress = "127.0.0.1:\(dns?.port ?? 0)"
        let plc = origins[.plc] ?? ""
        let entrywayPDS = origins[.entrywayPDS] ?? ""
        let proxyURL = proxy.map { "http://127.0.0.1:\($0.port)" }
        let clientFlags: [String]
        if let caFile {
            clientFlags = ["--plc-url", plc, "--dns-server", dnsAddress, "--ca-file", caFile]
        } else {
            clientFlags = [
                "--plc-url", plc, "--handle-resolver", entrywayPDS, "--dns-server", dnsAddress,
                "--allow-http-loopback",
            ]
        }
        let info = DevNetworkInfo(
            plc: plc, entryway: origins[.entryway] ?? "",
            pds: [entrywayPDS, origins[.selfHostedPDS] ?? "", origins[.secondEntrywayPDS] ?? ""],
            handleResolver: entrywayPDS, dns: dnsAddress,
            accounts: accounts.map {
                SeededAccount(handle: $0.handle, did: $0.did, pds: origins[$0.pds] ?? "")
            },
            clientFlags: clientFlags, proxy: proxyURL, caFile: caFile)
        self.info = info
        let tlsNote = proxyURL.map { ", proxy \($0), CA \(caFile ?? "")" } ?? ""
        logger.info(
            "dev network started: plc \(plc), entryway \(info.entryway), pds \(info.pds), dns \(dnsAddress)\(tlsNote)")
        return info
    }

    /// TLS mode: makes the throwaway CA, writes its certificate, and starts the CONNECT
    /// proxy that owns every host name. Returns the CA file's path.
    private func startProxy(listeners: [DevPart: Int], accounts: [DevAccount]) async throws -> String {
        var routes: [String: Int] = [:]
        for (part, port) in listeners {
            routes[DevHostNames.host(part)] = port
        }
        // Handle hosts are answered by the entryway PDS listener, routed there by `Host`.
        for account in accounts {
            routes[account.handle] = listeners[.entrywayPDS]
        }
        let authority = try DevCertificateAuthority(hosts: routes.keys.sorted())
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "atproto-devnet-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        tlsDirectory = directory
        let caFile = try authority.writeCertificate(into: directory)
        let port = configuration.basePort == 0 ? 0 : Int(configuration.basePort) + 6
        do {
            proxy = try await DevTLSProxy.start(
                routes: routes, tls: authority.serverContext, port: port, logger: logger)
        } catch {
            throw ATProtoDevServerError(
                .startFailed, part: "proxy", "did not start listening on 127.0.0.1:\(port): \(error)")
        }
        return caFile
    }

    /// Starts one part's plain-http listener; returns its port on 127.0.0.1.
    private func startServer(_ part: DevPart, port: UInt16) async throws -> Int {
        let handler = DevHTTPHandler(part: part, state: state)
        let server: LoopbackHTTPServer
        do {
            server = try await LoopbackHTTPServer.start(port: Int(port), maxBodySize: 8 << 20) {
                await handler.handle($0)
            }
        } catch {
            throw ATProtoDevServerError(
                .startFailed, part: part.rawValue, "did not start listening on 127.0.0.1:\(port): \(error)")
        }
        servers.append((part, server))
        return server.port
    }

    /// Stops every part. Hanging requests are cancelled.
    public func stop() async {
        let running = servers
        servers.removeAll()
        for entry in running {
            await entry.server.stop()
        }
        dns?.stop()
        dns = nil
        await proxy?.stop()
        proxy = nil
        if let tlsDirectory {
            try? FileManager.default.removeItem(at: tlsDirectory)
        }
        tlsDirectory = nil
        info = nil
    }

    /// Fails the next `count` HTTP requests, whichever part they reach.
    public func failNextRequests(_ count: Int, mode: DevFailureMode = .status500) async {
        await state.setFailures(count, mode: mode)
    }

    /// Adds `latency` before every HTTP response from now on.
    public func setLatency(_ latency: Duration) async {
        await state.setLatency(latency)
    }

    /// Approves a pushed request as the consent page's Approve button would, for `account`
    /// (a seeded handle or DID on that server; default: the request's `login_hint`, else the
    /// server's first account). Returns the redirect URL carrying `code`, `state` and `iss`,
    /// or `nil` when the request URI is unknown, used or expired.
    public func approve(requestURI: String, account: String? = nil) async -> URL? {
        await state.decideProgrammatically(requestURI: requestURI, approve: true, account: account)
            .flatMap { URL(string: $0) }
    }

    /// Denies a pushed request as the Deny button would: the redirect URL carries
    /// `error=access_denied`, `state` and `iss`; `nil` when the request URI is not pending.
    public func deny(requestURI: String) async -> URL? {
        await state.decideProgrammatically(requestURI: requestURI, approve: false, account: nil)
            .flatMap { URL(string: $0) }
    }

    /// Moves an account (a seeded DID) to the PDS at `pdsOrigin` (one of `info.pds`), as a
    /// PLC operation would: its DID document names the new PDS from now on. A move to the
    /// second entryway PDS keeps the issuer (clients adopt the new PDS at their next
    /// refresh, R21); a move to the self-hosted PDS changes it (clients must log in again).
    public func moveAccount(did: String, toPDS pdsOrigin: String) async throws {
        try await state.moveAccount(did: did, toPDSOrigin: pdsOrigin)
    }

    /// Revokes every session of the account with `did` server-side, as an administrator or
    /// a password change would: its access and refresh tokens stop working at once.
    /// Returns how many sessions were live.
    @discardableResult
    public func revokeSessions(did: String) async -> Int {
        await state.revokeSessions(did: did)
    }

    /// How many refresh tokens were presented a second time (R24 replays; each revoked its
    /// session): what a fleet benchmark must keep at zero.
    public func refreshTokenReplays() async -> Int {
        await state.refreshTokenReplays
    }

    /// Every request served so far, oldest first.
    public func requestLog() async -> [DevRequestLogEntry] {
        await state.requestLog()
    }

    public func clearRequestLog() async {
        await state.clearRequestLog()
    }
}
