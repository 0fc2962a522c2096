import ATProtoAccountStore
import ATProtoDiscovery
import ATProtoHTTP
import ATProtoOAuth
import Foundation

/// The real components one command invocation uses: one HTTP client (pooled keep-alive
/// connections), the account store, discovery and the session agent built on them.
struct CommandRuntime: Sendable {
    let options: GlobalOptions
    let transport: any HTTPTransport
    let store: AccountStore
    let discovery: Discovery
    let agent: SessionAgent
    private let client: LazyHTTPClient

    /// Builds the runtime, runs `body`, and always shuts the HTTP client down.
    static func with<T: Sendable>(
        _ options: GlobalOptions, _ body: (CommandRuntime) async throws -> T
    ) async throws -> T {
        let runtime = try CommandRuntime(options: options)
        do {
            let result = try await body(runtime)
            await runtime.client.shutdown()
            return result
        } catch {
            await runtime.client.shutdown()
            throw error
        }
    }

    private init(options: GlobalOptions) throws {
        // Everything that can fail on bad flags first: an HTTP client, once made, must be shut down.
        let store = try options.makeStore()
        let resolver = try options.makeTXTResolver()
        let configuration = try options.discoveryConfiguration()
        // The HTTP client (event-loop threads, TLS context, parsed trust roots: ~4.5 MB of the
        // TUI's resident memory) starts on the first request: the TUI and local commands often
        // never make one. Only a proxy or a CA file can make it fail: with a proxy set, or a CA
        // file that is missing, unreadable or holds no certificate, it is built now, so the
        // usage error comes before the command starts, exactly as before.
        let client = LazyHTTPClient(make: options.makeTransport)
        let caFile = options.caFile ?? HTTPClientTransport.Configuration.defaultCAFile
        if ProxySettings.fromEnvironment != nil || !(caFile.map(Self.looksLikePEMCertificates) ?? true) {
            try client.start()
        }
        let transport: any HTTPTransport = options.verbose ? VerboseTransport(base: client) : client
        let discovery = Discovery(transport: transport, txtResolver: resolver, configuration: configuration)
        self.options = options
        self.client = client
        self.transport = transport
        self.store = store
        self.discovery = discovery
        self.agent = SessionAgent(transport: transport, store: store, issuerResolver: discovery)
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

/// `--verbose`: one line per request and response on stderr. Only method, scheme, host and
/// path are printed — never queries, headers or bodies, which carry codes, tokens and proofs.
struct VerboseTransport: HTTPTransport {
    let base: any HTTPTransport

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let target = "\(request.url.originString ?? "")\(request.url.path(percentEncoded: true))"
        let start = ContinuousClock.now
        do {
            let response = try await base.send(request)
            Terminal.info(
                "→ \(request.method) \(target) ← \(response.status) (\(Terminal.milliseconds(since: start)) ms)")
            return response
        } catch {
            Terminal.info("→ \(request.method) \(target) ✗ \(error)")
            throw error
        }
    }
}

/// An `HTTPClientTransport` made on the first request (or by `start`). `shutdown` shuts it down
/// if it was made; a request after `shutdown` throws `CancellationError` instead of making one.
final class LazyHTTPClient: HTTPTransport, @unchecked Sendable {
    private let make: @Sendable () throws -> HTTPClientTransport
    private let lock = NSLock()
    private var state: State = .idle  // guarded by lock

    private enum State {
        case idle
        case running(HTTPClientTransport)
        case shutDown
    }

    init(make: @escaping @Sendable () throws -> HTTPClientTransport) {
        self.make = make
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await client().send(request)
    }

    func shutdown() async {
        let client: HTTPClientTransport? = lock.withLock {
            defer { state = .shutDown }
            if case .running(let client) = state { return client }
            return nil
        }
        try? await client?.shutdown()
    }

    /// Makes the client now (when its configuration can fail, so that it fails early).
    func start() throws {
        _ = try client()
    }

    private func client() throws -> HTTPClientTransport {
        try lock.withLock {
            switch state {
            case .running(let client):
                return client
            case .idle:
                let client = try make()
                state = .running(client)
                return client
            case .shutDown:
                throw CancellationError()
            }
        }
    }
}
