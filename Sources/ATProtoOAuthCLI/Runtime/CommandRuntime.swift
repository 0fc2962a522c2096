import ATProtoAccountStore
import ATProtoDiscovery
import ATProtoHTTP
import ATProtoOAuth
import ATProtoOAuthClient
import ATProtoPostgresStore
import Foundation

/// The real components one command invocation uses: one HTTP client (pooled keep-alive
/// connections), the session store (`--store`: a directory, or a `postgres://` URL), and the
/// library's `OAuthClient` over them, which owns every policy. Commands parse, call the client
/// and print.
struct CommandRuntime: Sendable {
    let options: GlobalOptions
    let store: any SessionStore
    let client: OAuthClient
    private let http: LazyHTTPClientTransport

    var discovery: Discovery { client.discovery }

    /// Builds the runtime, runs `body`, and always shuts the HTTP client down.
    static func with<T: Sendable>(
        _ options: GlobalOptions, jobs: Int? = nil, _ body: (CommandRuntime) async throws -> T
    ) async throws -> T {
        let runtime = try CommandRuntime(options: options, jobs: jobs)
        do {
            let result = try await body(runtime)
            await runtime.shutdown()
            return result
        } catch {
            await runtime.shutdown()
            throw error
        }
    }

    /// The account a command names (handle, DID or unique prefix), or the default account.
    func account(_ query: String?) async throws -> Session {
        try await client.resolveAccount(query)
    }

    /// The store's default account, for stores that keep one.
    func defaultAccount() async -> DID? {
        await client.defaultAccount()
    }

    private func shutdown() async {
        await http.shutdown()
        await options.shutdown(store)
    }

    /// `jobs`: how many accounts a many-accounts command works on at once (`--jobs`); `nil`
    /// keeps the library's default.
    private init(options: GlobalOptions, jobs: Int?) throws {
        // Everything that can fail on bad flags first: an HTTP client, once made, must be shut down.
        var configuration = OAuthClientConfiguration(
            client: try options.loginClient(), scope: options.scope, discovery: try options.discoveryConfiguration())
        if let jobs { configuration.refreshConcurrency = jobs }
        let resolver = try options.makeTXTResolver()
        let store = try options.makeStore(concurrency: configuration.refreshConcurrency)
        // The HTTP client starts on the first request: the TUI and local commands often never
        // make one. Only a proxy or a CA file can make it fail: with a proxy set, or a CA file
        // that is missing, unreadable or holds no certificate, it is built now, so the usage
        // error comes before the command starts.
        let http = LazyHTTPClientTransport(make: options.makeTransport)
        let caFile = options.caFile ?? HTTPClientTransport.Configuration.defaultCAFile
        if ProxySettings.fromEnvironment != nil || !(caFile.map(Self.looksLikePEMCertificates) ?? true) {
            try http.start()
        }
        let transport: any HTTPTransport =
            options.verbose ? LoggingTransport(base: http, log: { Terminal.info($0) }) : http
        self.options = options
        self.http = http
        self.store = store
        self.client = OAuthClient(
            configuration: configuration, transport: transport, txtResolver: resolver, store: store)
    }

    /// Whether `path` is a readable file with at least one PEM certificate block: the cheap
    /// part of what the HTTP client checks; a damaged block still fails, on the first request.
    private static func looksLikePEMCertificates(_ path: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path) else { return false }
        return data.range(of: Data("-----BEGIN CERTIFICATE-----".utf8)) != nil
    }
}

extension GlobalOptions {
    /// Where sessions live: `--store`, else `$ATPROTO_OAUTH_STORE`, else `$ATPROTO_OAUTH_HOME`,
    /// else the XDG state directory. A `postgres://` URL selects the PostgreSQL store (its key
    /// from `--store-key-file` or `$ATPROTO_OAUTH_STORE_KEY`); anything else is a directory.
    /// `concurrency`: how many accounts the command works on at once; a PostgreSQL pool without
    /// `pool_max` gets a connection for each, plus one.
    func makeStore(
        concurrency: Int = 4, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> any SessionStore {
        try Self.makeStore(
            location: store ?? environment["ATPROTO_OAUTH_STORE"].flatMap { $0.isEmpty ? nil : $0 },
            keyFile: storeKeyFile, timeout: timeout, concurrency: concurrency, environment: environment)
    }

    /// The store at `location` (a directory or a `postgres://` URL; `nil`: the default directory).
    static func makeStore(
        location: String?, keyFile: String?, timeout: Double, concurrency: Int = 4,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> any SessionStore {
        guard let location, PostgresStoreConfiguration.isPostgresURL(location) else {
            let directory =
                location.map { URL(fileURLWithPath: $0) } ?? AccountStore.defaultDirectory(environment: environment)
            return try AccountStore(directory: directory)
        }
        let configuration = try PostgresStoreConfiguration(
            url: location, environment: environment, defaultMaximumConnections: max(8, concurrency + 1))
        let key = try StoreKey.resolve(file: keyFile, environment: environment)
        return try PostgresSessionStore(configuration: configuration, key: key)
    }

    /// Closes what a store holds open (the PostgreSQL pool); nothing for the file store.
    func shutdown(_ store: any SessionStore) async {
        await (store as? PostgresSessionStore)?.shutdown()
    }
}
