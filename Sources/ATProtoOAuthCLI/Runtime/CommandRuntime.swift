import ATProtoAccountStore
import ATProtoDiscovery
import ATProtoHTTP
import ATProtoOAuth
import ATProtoOAuthClient
import Foundation

/// The real components one command invocation uses: one HTTP client (pooled keep-alive
/// connections), the file store, and the library's `OAuthClient` over them, which owns every
/// policy. Commands parse, call the client and print.
struct CommandRuntime: Sendable {
    let options: GlobalOptions
    let store: AccountStore
    let client: OAuthClient
    private let http: LazyHTTPClientTransport

    var discovery: Discovery { client.discovery }

    /// Builds the runtime, runs `body`, and always shuts the HTTP client down.
    static func with<T: Sendable>(
        _ options: GlobalOptions, _ body: (CommandRuntime) async throws -> T
    ) async throws -> T {
        let runtime = try CommandRuntime(options: options)
        do {
            let result = try await body(runtime)
            await runtime.http.shutdown()
            return result
        } catch {
            await runtime.http.shutdown()
            throw error
        }
    }

    private init(options: GlobalOptions) throws {
        // Everything that can fail on bad flags first: an HTTP client, once made, must be shut down.
        let store = try options.makeStore()
        let resolver = try options.makeTXTResolver()
        let configuration = OAuthClientConfiguration(
            client: try options.loginClient(), scope: options.scope, discovery: try options.discoveryConfiguration())
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
    /// The account store at `--store`, else `$ATPROTO_OAUTH_HOME`, else the XDG state directory.
    func makeStore() throws -> AccountStore {
        let directory = store.map { URL(fileURLWithPath: $0) } ?? AccountStore.defaultDirectory()
        return try AccountStore(directory: directory)
    }
}
