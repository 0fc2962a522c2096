import ATProtoDiscovery
import ATProtoHTTP
import ATProtoOAuth
import AccountStore
import Foundation

/// The real components one command invocation uses: one HTTP client (pooled keep-alive
/// connections), the account store, discovery and the session agent built on them.
struct CommandRuntime: Sendable {
    let options: GlobalOptions
    let transport: any HTTPTransport
    let store: AccountStore
    let discovery: Discovery
    let agent: SessionAgent
    private let client: HTTPClientTransport

    /// Builds the runtime, runs `body`, and always shuts the HTTP client down.
    static func with<T: Sendable>(
        _ options: GlobalOptions, _ body: (CommandRuntime) async throws -> T
    ) async throws -> T {
        let runtime = try CommandRuntime(options: options)
        do {
            let result = try await body(runtime)
            try? await runtime.client.shutdown()
            return result
        } catch {
            try? await runtime.client.shutdown()
            throw error
        }
    }

    private init(options: GlobalOptions) throws {
        // Everything that can fail on bad flags first: an HTTP client, once made, must be shut down.
        let store = try options.makeStore()
        let resolver = try options.makeTXTResolver()
        let configuration = try options.discoveryConfiguration()
        let client = try options.makeTransport()
        let transport: any HTTPTransport = options.verbose ? VerboseTransport(base: client) : client
        let discovery = Discovery(transport: transport, txtResolver: resolver, configuration: configuration)
        self.options = options
        self.client = client
        self.transport = transport
        self.store = store
        self.discovery = discovery
        self.agent = SessionAgent(transport: transport, storage: store, issuerResolver: discovery)
    }
}

extension GlobalOptions {
    /// The account store at `--store`, else `$ATPROTO_OAUTH_HOME`, else the XDG state directory.
    func makeStore() throws -> AccountStore {
        let directory = store.map { URL(fileURLWithPath: $0) } ?? AccountStore.defaultDirectory()
        return try AccountStore(directory: directory)
    }
}

/// `--verbose`: one line per request and response on stderr. Only method, scheme, host and
/// path are printed — never queries, headers or bodies, which carry codes, tokens and proofs.
struct VerboseTransport: HTTPTransport {
    let base: any HTTPTransport

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let target = "\(request.url.originString ?? "")\(request.url.path(percentEncoded: true))"
        let start = ContinuousClock.now
        do {
            let response = try await base.send(request)
            Terminal.info("→ \(request.method) \(target) ← \(response.status) (\(Terminal.milliseconds(since: start)) ms)")
            return response
        } catch {
            Terminal.info("→ \(request.method) \(target) ✗ \(error)")
            throw error
        }
    }
}
