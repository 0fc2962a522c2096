import ATProtoDevServer
import ATProtoDiscovery
import ATProtoHTTP
import ATProtoOAuth
import ATProtoOAuthClient
import ATProtoOAuthLogin
import ATProtoPostgresStore
import Foundation

/// Issue 12's fleet figure: `refresh --all` of many accounts from several processes that share
/// only a PostgreSQL store, against an auto-approve dev network with latency on every response.
///
///     atproto-oauth-bench fleet-refresh --store postgres://… [--accounts 1000] [--processes 4]
///                                       [--jobs 8] [--latency-ms 50]
///
/// Setup (not timed): the dev network is started in this process with `--accounts` generated
/// accounts, each is logged in through the real flow (loopback listener, PAR, DPoP) at zero
/// latency into the store, then the latency is switched on. Timed: `--processes` copies of
/// the built `atproto-oauth refresh --all --jobs J`, each with its own HOME, started at once.
/// Checked afterwards: every process exited 0 and reported every account, the dev network saw
/// zero refresh-token replays (R24), and every account refreshes once more.
///
/// Database round trips are counted on the server (`pg_stat_database`, transactions committed
/// and rolled back in the store's database while the processes ran, which `psql` reads): each
/// statement the store sends outside a transaction is one.
/// The store must start empty (the run removes its sessions at the end).
enum FleetRefreshBench {
    struct Options {
        var store = ""
        var accounts = 1_000
        var processes = 4
        var jobs = 8
        var latency: Duration = .milliseconds(50)
        var json = false

        init(_ arguments: [String]) throws {
            var rest = arguments[...]
            func number(_ name: String) throws -> Int {
                guard let value = rest.popFirst().flatMap({ Int($0) }), value >= 0 else {
                    throw BenchError("\(name) needs a number")
                }
                return value
            }
            while let argument = rest.popFirst() {
                switch argument {
                case "--store": store = rest.popFirst() ?? ""
                case "--accounts": accounts = try number(argument)
                case "--processes": processes = max(1, try number(argument))
                case "--jobs": jobs = max(1, try number(argument))
                case "--latency-ms": latency = .milliseconds(try number(argument))
                case "--json": json = true
                default: throw BenchError("unknown fleet-refresh argument \(argument)")
                }
            }
            guard PostgresStoreConfiguration.isPostgresURL(store) else {
                throw BenchError("fleet-refresh needs --store postgres://… (an empty database)")
            }
        }
    }

    static func run(_ options: Options) async throws -> [Figure] {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent(
            "atproto-oauth-fleet-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let keyFile = work.appendingPathComponent("store.key").path
        let key = try StoreKey.writeNew(to: keyFile)
        let store = try PostgresSessionStore(configuration: PostgresStoreConfiguration(url: options.store), key: key)
        let figures: [Figure]
        do {
            let configuration = DevNetworkConfiguration(autoApprove: true, generatedAccounts: options.accounts)
            figures = try await withDevNetwork(configuration) { network, info, transport in
                let existing = try await store.list().sessions.count
                guard existing == 0 else {
                    throw BenchError(
                        "the store already holds \(existing) sessions; give fleet-refresh an empty database")
                }
                let outcome: Result<[Figure], any Error>
                do {
                    let client = try makeClient(info: info, transport: transport, store: store)
                    try await logIn((0..<options.accounts).map { "user\($0).test" }, client: client)
                    outcome = .success(
                        try await measure(options, network: network, info: info, keyFile: keyFile, client: client))
                } catch {
                    outcome = .failure(error)
                }
                // Leave the database as it was found.
                for session in (try? await store.list().sessions) ?? [] { try? await store.delete(session.did) }
                return try outcome.get()
            }
        } catch {
            await store.shutdown()
            throw error
        }
        await store.shutdown()
        return figures
    }

    private static func makeClient(
        info: DevNetworkInfo, transport: HTTPClientTransport, store: PostgresSessionStore
    ) throws -> OAuthClient {
        guard let plc = URL(string: info.plc), let resolver = URL(string: info.handleResolver) else {
            throw BenchError("the dev network reported unusable origins: \(info.plc), \(info.handleResolver)")
        }
        let discovery = DiscoveryConfiguration(plcDirectory: plc, handleResolver: resolver, allowHTTPLoopback: true)
        var configuration = OAuthClientConfiguration(discovery: discovery)
        configuration.refreshConcurrency = 8
        return OAuthClient(
            configuration: configuration, transport: transport,
            txtResolver: try ResolvTXTResolver(nameserver: info.dns, timeout: .seconds(2)), store: store)
    }

    /// Real logins, 8 at a time: each its own loopback listener, PAR, PKCE and DPoP key.
    private static func logIn(_ handles: [String], client: OAuthClient) async throws {
        let options = LoopbackLoginOptions(openBrowser: { url in
            Task { _ = try? await LoopbackBrowser.visit(url) }
            return .launched(command: "bench")
        })
        progress("fleet-refresh: logging \(handles.count) accounts in (zero latency, not timed)")
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func launch() {
                guard next < handles.count else { return }
                let handle = handles[next]
                next += 1
                group.addTask { _ = try await client.login(handle, options: options) }
            }
            for _ in 0..<8 { launch() }
            var done = 0
            while try await group.next() != nil {
                done += 1
                if done % 250 == 0 { progress("  \(done) logged in") }
                launch()
            }
        }
        progress("  done in \(Figure.format((ContinuousClock.now - start).milliseconds / 1_000)) s")
    }

    private static func measure(
        _ options: Options, network: DevNetwork, info: DevNetworkInfo, keyFile: String, client: OAuthClient
    ) async throws -> [Figure] {
        await network.setLatency(options.latency)
        await network.clearRequestLog()
        let replaysBefore = await network.refreshTokenReplays()
        let transactionsBefore = try databaseTransactions(options.store)
        progress(
            "fleet-refresh: \(options.processes) × `refresh --all --jobs \(options.jobs)` over \(options.accounts) "
                + "accounts, \(Figure.format(options.latency.milliseconds)) ms latency")
        let arguments =
            [
                "refresh", "--all", "--json", "--jobs", "\(options.jobs)", "--store", options.store, "--store-key-file",
                keyFile,
            ]
            + info.clientFlags
        let start = ContinuousClock.now
        let runs = try (0..<options.processes).map { _ in try CLIProcess.start(arguments) }
        var results: [CLIProcess.Result] = []
        for run in runs { results.append(try await run.wait()) }
        let wall = ContinuousClock.now - start
        // Backends report their statistics when they exit; give the last one a moment.
        try await Task.sleep(for: .seconds(1))
        let transactions = try databaseTransactions(options.store) - transactionsBefore - 1
        let replays = await network.refreshTokenReplays() - replaysBefore
        let log = RequestCount(entries: await network.requestLog())
        let tokenRequests = log.entries.filter { $0.path == "/oauth/token" && $0.status == 200 }.count

        var problems: [String] = []
        for (index, result) in results.enumerated() {
            if result.status != 0 {
                problems.append("process \(index) exited \(result.status): \(result.standardError.prefix(400))")
            }
            if result.reported != options.accounts {
                problems.append("process \(index) reported \(result.reported) of \(options.accounts) accounts")
            }
        }
        // Every session must still be alive: a replay would have revoked one.
        await network.setLatency(.zero)
        let again = try await client.refreshAll()
        let dead = again.filter { if case .failure = $0.result { return true } else { return false } }.count
        if !problems.isEmpty { throw BenchError(problems.joined(separator: "\n")) }

        let seconds = wall.milliseconds / 1_000
        let latencyText = "\(Figure.format(options.latency.milliseconds)) ms latency"
        let refreshes = max(tokenRequests, 1)
        return [
            Figure(
                "fleet.refresh_all.wall", wall.milliseconds, "ms",
                note:
                    "\(options.processes) processes × refresh --all --jobs \(options.jobs), \(options.accounts) accounts, "
                    + "PostgreSQL store, \(latencyText), spawn to last exit"),
            Figure(
                "fleet.refreshes", Double(tokenRequests), "token refreshes",
                note: "successful POST /oauth/token in all processes together (each account once between them)"),
            Figure("fleet.refreshes_per_second", Double(tokenRequests) / seconds, "refreshes/s"),
            Figure(
                "fleet.db_round_trips_per_refresh", Double(transactions) / Double(refreshes), "round trips/refresh",
                note: "\(transactions) statements (pg_stat_database) ÷ refreshes: the refresh itself (read, lock, "
                    + "read, save, unlock), the one read by which each other process finds it done, and each "
                    + "process's schema check and list"),
            Figure(
                "fleet.http_requests_per_refresh", Double(log.total) / Double(refreshes), "requests/refresh",
                note: "R21 re-check (PLC document and resource metadata, side by side) + token request"),
            Figure(
                "fleet.replays", Double(replays), "replayed refresh tokens", target: "0", pass: replays == 0,
                note: "R24 replays the dev network saw; afterwards \(again.count - dead) of \(again.count) "
                    + "accounts refreshed once more (\(dead) dead)"),
        ]
    }

    /// Transactions committed and rolled back so far in the store's database, as PostgreSQL
    /// counts them (psql's own query adds one).
    private static func databaseTransactions(_ url: String) throws -> Int {
        // The password goes to psql through its environment, not its argument list (which any
        // user of the machine can read in `ps`).
        var components = URLComponents(string: url)
        var environment = ProcessInfo.processInfo.environment
        if let password = components?.password {
            environment["PGPASSWORD"] = password
            components?.password = nil
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.environment = environment
        process.arguments = [
            "psql", components?.string ?? url, "-XAtqc",
            "SELECT pg_stat_clear_snapshot(); SELECT xact_commit + xact_rollback FROM pg_stat_database "
                + "WHERE datname = current_database()",
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
        guard process.terminationStatus == 0, let last = lines.last, let value = Int(last) else {
            throw BenchError("psql could not read pg_stat_database (is psql installed and the URL right?)")
        }
        return value
    }
}

/// The built `atproto-oauth` beside this harness, run as another machine would: its own HOME
/// and temporary directory.
struct CLIProcess {
    struct Result {
        let status: Int32
        /// How many accounts `--json` reported.
        let reported: Int
        let standardError: String
    }

    let process: Process
    let home: URL
    let output: URL
    let errors: URL

    static func start(_ arguments: [String]) throws -> CLIProcess {
        guard
            let executable = Bundle.main.executableURL?.deletingLastPathComponent().appendingPathComponent(
                "atproto-oauth"),
            FileManager.default.isExecutableFile(atPath: executable.path)
        else { throw BenchError("atproto-oauth is not built beside atproto-oauth-bench") }
        let home = FileManager.default.temporaryDirectory.appendingPathComponent(
            "atproto-oauth-fleet-home-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let output = home.appendingPathComponent("stdout")
        let errors = home.appendingPathComponent("stderr")
        for file in [output, errors] {
            guard FileManager.default.createFile(atPath: file.path, contents: nil) else {
                throw BenchError("cannot create \(file.path)")
            }
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        environment["TMPDIR"] = home.path
        environment["XDG_STATE_HOME"] = home.path
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        return CLIProcess(process: process, home: home, output: output, errors: errors)
    }

    func wait() async throws -> Result {
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        defer { try? FileManager.default.removeItem(at: home) }
        let data = (try? Data(contentsOf: output)) ?? Data()
        let reported = ((try? JSONSerialization.jsonObject(with: data)) as? [Any])?.count ?? 0
        let errorText = String(decoding: (try? Data(contentsOf: errors)) ?? Data(), as: UTF8.self)
        return Result(status: process.terminationStatus, reported: reported, standardError: errorText)
    }
}
