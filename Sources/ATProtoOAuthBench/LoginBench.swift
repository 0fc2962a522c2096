import ATProtoAccountStore
import ATProtoDevServer
import ATProtoDiscovery
import ATProtoHTTP
import ATProtoOAuth
import ATProtoOAuthClient
import ATProtoOAuthLogin
import Foundation

/// Whole logins and refreshes against an auto-approve dev network that adds 50 ms to every
/// response: wall time, request count, and what is left when the round trips are taken away
/// (the client's own cost: key generation, signing, the loopback listener, file writes).
///
/// Sessions go to a real `AccountStore` in a temporary directory, so refreshes pay for
/// `flock` and the atomic write (fsync + rename + directory fsync) as the CLI does.
enum LoginBench {
    static let latency: Duration = .milliseconds(50)
    static let handle = "alice.test"

    static func run(logins: Int, refreshes: Int) async throws -> [Figure] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "atproto-oauth-bench-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try AccountStore(directory: directory)
        return try await withDevNetwork(DevNetworkConfiguration(autoApprove: true, latency: latency)) {
            network, info, transport in
            let context = try Context(network: network, info: info, transport: transport, store: store)
            progress("login: \(logins) full logins at \(latency) latency")
            let (loginFigures, did) = try await measureLogins(logins, context)
            progress("login: a warm re-login (discovery cached, the account's nonce known)")
            let warmFigures = try await measureWarmRelogin(context)
            progress("refresh: \(refreshes) refreshes at \(latency) latency, then at zero latency")
            let refreshFigures = try await measureRefreshes(refreshes, did: did, context)
            return loginFigures + warmFigures + refreshFigures
        }
    }

    /// What every measurement shares.
    struct Context {
        let network: DevNetwork
        let info: DevNetworkInfo
        let transport: HTTPClientTransport
        let store: AccountStore
        let txt: ResolvTXTResolver
        let configuration: DiscoveryConfiguration

        init(network: DevNetwork, info: DevNetworkInfo, transport: HTTPClientTransport, store: AccountStore) throws {
            guard let plc = URL(string: info.plc), let resolver = URL(string: info.handleResolver) else {
                throw BenchError("the dev network reported unusable origins: \(info.plc), \(info.handleResolver)")
            }
            self.network = network
            self.info = info
            self.transport = transport
            self.store = store
            txt = try ResolvTXTResolver(nameserver: info.dns, timeout: .seconds(2))
            // As `info.clientFlags` (and so `demo`) configure it: handles through XRPC.
            configuration = DiscoveryConfiguration(plcDirectory: plc, handleResolver: resolver, allowHTTPLoopback: true)
        }

        /// A client with an identity cache of its own, as a fresh process would have.
        /// `issuerCheck: false` measures the refresh alone, without the R21 re-resolution.
        func client(issuerCheck: Bool = true) -> OAuthClient {
            OAuthClient(
                configuration: OAuthClientConfiguration(discovery: configuration), transport: transport,
                txtResolver: txt, store: store, identityCache: IdentityCache(), issuerCheckOnRefresh: issuerCheck)
        }
    }

    private static func measureLogins(_ runs: Int, _ context: Context) async throws -> ([Figure], DID) {
        let options = browserOptions
        var wall = Samples()
        var requests = Samples()
        var overhead = Samples()
        var breakdown = ""
        var stepTimes = ""
        var did: DID?
        for _ in 0..<max(runs, 1) {
            let client = context.client()
            let steps = StepLog()
            let (session, elapsed, count) = try await counting(context.network) {
                try await client.login(handle, options: options) { event in
                    if case .step(let step) = event { steps.record(step) }
                }
            }
            stepTimes = steps.summary + (steps.gap.map { "; longest gap outside steps: " + $0 } ?? "")
            did = session.did
            wall.add(elapsed.milliseconds)
            requests.add(Double(count.total))
            // Every request of a login is sequential, so each costs one full latency.
            overhead.add(elapsed.milliseconds - Double(count.total) * latency.milliseconds)
            breakdown = count.breakdown
        }
        guard let did else { throw BenchError("no login ran") }
        let latencyText = "\(Figure.format(latency.milliseconds)) ms"
        return (
            [
                Figure(
                    "login.wall", wall, "ms",
                    note: "\(handle), handle via XRPC, \(latencyText) per response; last login steps (ms): \(stepTimes)"
                ),
                Figure("login.requests", requests, "requests/login", note: "last login: \(breakdown)"),
                Figure(
                    "login.client_overhead", overhead, "ms",
                    note: "wall − requests × \(latencyText): the client's own cost per login"),
            ], did
        )
    }

    /// What the TUI's `L` costs: a second login of a stored account in the same process, so
    /// discovery answers from the identity cache and the stored session's nonce for the
    /// authorization server goes with the first PAR. Target: ≤ 3 round trips besides the
    /// browser's own (PAR, token, and R27's revocation of the superseded grant).
    private static func measureWarmRelogin(_ context: Context) async throws -> [Figure] {
        let client = context.client()
        _ = try await client.login(handle, options: browserOptions)
        let (_, elapsed, count) = try await counting(context.network) {
            try await client.login(handle, options: browserOptions)
        }
        let browser = count.entries.filter { $0.path == "/oauth/authorize" }.count
        let roundTrips = count.total - browser
        return [
            Figure(
                "login.warm_relogin.round_trips", Double(roundTrips), "round trips", target: "≤ 3 + the browser's",
                pass: roundTrips <= 3, note: "besides \(browser) browser request(s): \(count.breakdown)"),
            Figure(
                "login.warm_relogin.wall", elapsed.milliseconds, "ms",
                note: "\(Figure.format(latency.milliseconds)) ms per response"),
        ]
    }

    /// The auto-approve authorize endpoint redirects straight to the loopback callback.
    static let browserOptions = LoopbackLoginOptions(openBrowser: { url in
        Task { _ = try? await LoopbackBrowser.visit(url) }
        return .launched(command: "bench")
    })

    private static func measureRefreshes(_ runs: Int, did: DID, _ context: Context) async throws -> [Figure] {
        let tokenPath = try context.store.load(did).tokenEndpoint.path(percentEncoded: true)
        let plain = context.client(issuerCheck: false)

        let slow = try await refreshes(runs, did: did, client: plain, tokenPath: tokenPath, context)
        // What the CLI runs: the R21 re-check resolves the DID afresh (PLC document, then the
        // PDS's resource metadata) before the refresh token is spent.
        let checked = context.client()
        let withCheck = try await refreshes(runs, did: did, client: checked, tokenPath: tokenPath, context)
        await context.network.setLatency(.zero)
        let local = try await refreshes(runs, did: did, client: plain, tokenPath: tokenPath, context)
        let roundTrips = try await measureRoundTrips(runs, context)
        await context.network.setLatency(latency)

        let latencyText = "\(Figure.format(latency.milliseconds)) ms latency"
        let firstChecked = withCheck.requests.values.first.map { Figure.format($0) } ?? "-"
        return [
            Figure(
                "refresh.wall", slow.wall, "ms",
                note:
                    "OAuthClient.refresh without the R21 re-check, AccountStore (flock + atomic write), \(latencyText)"),
            Figure(
                "refresh.token_requests", slow.tokenRequests, "requests/refresh",
                target: "1 (nonce persisted from the previous exchange)", pass: slow.tokenRequests.max == 1,
                note: "all requests per refresh: median \(Figure.format(slow.requests.median)), "
                    + "max \(Figure.format(slow.requests.max))"),
            Figure(
                "refresh.with_issuer_check.wall", withCheck.wall, "ms",
                note: "as the CLI runs it (R21: DID resolved afresh before the token is spent), \(latencyText): "
                    + "2 round trips, the PLC document and the stored PDS's metadata side by side, then the token"),
            Figure(
                "refresh.with_issuer_check.requests", withCheck.requests, "requests/refresh",
                note: "first refresh \(firstChecked); every refresh re-resolves the DID (PLC + resource metadata)"),
            Figure(
                "refresh.local", local.wall, "ms",
                note: "zero latency: flock + DPoP proof + loopback HTTP + fsync'd atomic write"),
        ] + roundTrips
    }

    /// One bare request at zero latency through the real transport, GET and POST: what a
    /// loopback round trip costs before any OAuth logic, to tell transport time from client time.
    private static func measureRoundTrips(_ runs: Int, _ context: Context) async throws -> [Figure] {
        guard let metadata = URL(string: context.info.entryway + "/.well-known/oauth-authorization-server"),
            let par = URL(string: context.info.entryway + "/oauth/par")
        else { throw BenchError("the dev network reported an unusable entryway: \(context.info.entryway)") }
        let get = HTTPRequest(method: "GET", url: metadata, headers: [("Accept", "application/json")])
        // No DPoP proof: the server answers 400 at once, which is all this needs.
        let post = HTTPRequest(
            method: "POST", url: par, headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: Data("client_id=bench&response_type=code".utf8))
        var figures: [Figure] = []
        for (name, request) in [("get", get), ("post", post)] {
            var samples = Samples()
            for _ in 0..<max(runs, 1) {
                let start = ContinuousClock.now
                _ = try await context.transport.send(request)
                samples.add((ContinuousClock.now - start).milliseconds)
            }
            figures.append(
                Figure(
                    "transport.loopback_\(name)", samples, "ms",
                    note:
                        "one \(request.method) \(request.url.path(percentEncoded: true)) to the dev network, zero latency"
                ))
        }
        return figures
    }

    private struct RefreshSamples {
        var wall = Samples()
        var requests = Samples()
        var tokenRequests = Samples()
    }

    private static func refreshes(
        _ runs: Int, did: DID, client: OAuthClient, tokenPath: String, _ context: Context
    ) async throws -> RefreshSamples {
        var samples = RefreshSamples()
        for _ in 0..<max(runs, 1) {
            let (_, elapsed, count) = try await counting(context.network) {
                try await client.refresh(did)
            }
            samples.wall.add(elapsed.milliseconds)
            samples.requests.add(Double(count.total))
            samples.tokenRequests.add(Double(count.count(path: tokenPath)))
        }
        return samples
    }
}

/// The final duration of every step a flow reported, in order (the callback for `progress`),
/// and the longest stretch between one step finishing and the next starting: time the flow
/// spends outside any step.
final class StepLog: @unchecked Sendable {
    private let lock = NSLock()
    private var order: [String] = []  // guarded by lock
    private var milliseconds: [String: Int] = [:]  // guarded by lock
    private var lastFinish: (name: String, at: ContinuousClock.Instant)?  // guarded by lock
    private var widestGap: (after: String, length: Duration)?  // guarded by lock

    func record(_ step: FlowStep) {
        let now = ContinuousClock.now
        lock.withLock {
            if step.status == .running, let lastFinish {
                let gap = now - lastFinish.at
                if gap > widestGap?.length ?? .zero { widestGap = (lastFinish.name, gap) }
            }
            guard step.status.isFinished else { return }
            if milliseconds[step.name] == nil { order.append(step.name) }
            milliseconds[step.name] = step.milliseconds ?? -1
            if step.status != .skipped { lastFinish = (step.name, now) }
        }
    }

    /// `resolve-handle 51, resolve-did 50, …`
    var summary: String {
        lock.withLock { order.map { "\($0) \(milliseconds[$0] ?? -1)" }.joined(separator: ", ") }
    }

    /// `1002 ms between callback and the next step`, or nil.
    var gap: String? {
        lock.withLock {
            widestGap.map { "\(Figure.format($0.length.milliseconds)) ms after \($0.after) before the next step" }
        }
    }
}
