import ATProtoDiscovery
import ATProtoOAuth
import Foundation

/// What a fake route answers: a response, an error, after an optional delay.
struct FakeAnswer: Sendable {
    var response: HTTPResponse?
    var error: FakeTransportError?
    var delay: Duration = .zero

    static func json(_ text: String, status: Int = 200, contentType: String = "application/json") -> FakeAnswer {
        FakeAnswer(
            response: HTTPResponse(status: status, headers: [("Content-Type", contentType)], body: Data(text.utf8)))
    }

    static func text(_ text: String, status: Int = 200, contentType: String? = "text/plain") -> FakeAnswer {
        let headers = contentType.map { [(name: "Content-Type", value: $0)] } ?? []
        return FakeAnswer(response: HTTPResponse(status: status, headers: headers, body: Data(text.utf8)))
    }

    static func status(_ status: Int, headers: [(name: String, value: String)] = []) -> FakeAnswer {
        FakeAnswer(response: HTTPResponse(status: status, headers: headers, body: Data()))
    }

    static func failure(_ description: String) -> FakeAnswer {
        FakeAnswer(error: FakeTransportError(description: description))
    }

    func delayed(_ delay: Duration) -> FakeAnswer {
        var copy = self
        copy.delay = delay
        return copy
    }
}

/// Stands in for the transport's own errors, which print their rule first (`R29 …`).
struct FakeTransportError: Error, CustomStringConvertible, Sendable {
    let description: String
}

/// An in-memory `HTTPTransport` for unit tests only: exact URL → answer, unknown URLs 404,
/// every request counted.
final class FakeTransport: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var routes: [String: FakeAnswer]
    private var log: [String] = []

    init(_ routes: [String: FakeAnswer]) {
        self.routes = routes
    }

    subscript(url: String) -> FakeAnswer? {
        get { lock.withLock { routes[url] } }
        set { lock.withLock { routes[url] = newValue } }
    }

    var requests: [String] { lock.withLock { log } }

    func count(_ url: String) -> Int { requests.filter { $0 == url }.count }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let url = request.url.absoluteString
        let answer = lock.withLock {
            log.append(url)
            return routes[url]
        }
        guard let answer else { return HTTPResponse(status: 404, headers: [("Content-Type", "text/plain")]) }
        if answer.delay > .zero { try await Task.sleep(for: answer.delay) }
        if let error = answer.error { throw error }
        return answer.response ?? HTTPResponse(status: 500)
    }
}

/// An in-memory `TXTResolver`: name → records (or an error), with an optional delay.
final class FakeTXTResolver: TXTResolver, @unchecked Sendable {
    private let lock = NSLock()
    private var records: [String: [String]]
    private var failures: [String: String] = [:]
    private var queries: [String] = []
    var delay: Duration

    init(_ records: [String: [String]] = [:], delay: Duration = .zero) {
        self.records = records
        self.delay = delay
    }

    func fail(_ name: String, _ description: String) { lock.withLock { failures[name] = description } }
    func set(_ name: String, _ values: [String]) { lock.withLock { records[name] = values } }
    var queryCount: Int { lock.withLock { queries.count } }

    func txtRecords(for name: String) async throws -> [String] {
        let (values, failure) = lock.withLock {
            queries.append(name)
            return (records[name] ?? [], failures[name])
        }
        if delay > .zero { try await Task.sleep(for: delay) }
        if let failure { throw FakeTransportError(description: failure) }
        return values
    }
}

/// A consistent, valid little network: handle → DID → document → PDS → resource → AS.
enum Fixture {
    static let handle = "alice.example.com"
    static let did = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
    static let otherDID = "did:plc:bbbbbbbbbbbbbbbbbbbbbbbb"
    static let plc = "https://plc.example"
    static let pds = "https://pds.example.com"
    static let issuer = "https://auth.example.com"

    static let documentURL = "\(plc)/\(did)"
    static let wellKnownURL = "https://\(handle)/.well-known/atproto-did"
    static let resourceURL = "\(pds)/.well-known/oauth-protected-resource"
    static let serverURL = "\(issuer)/.well-known/oauth-authorization-server"

    static func document(
        id: String = did, alsoKnownAs: [String] = ["at://\(handle)"], services: String? = nil
    ) -> String {
        let aka = alsoKnownAs.map { "\"\($0)\"" }.joined(separator: ",")
        let service =
            services
            ?? ##"[{"id":"#atproto_pds","type":"AtprotoPersonalDataServer","serviceEndpoint":"\##(pds)"}]"##
        return #"{"id":"\#(id)","alsoKnownAs":[\#(aka)],"service":\#(service)}"#
    }

    static func resource(resource: String = pds, servers: [String] = [issuer]) -> String {
        let list = servers.map { "\"\($0)\"" }.joined(separator: ",")
        return #"{"resource":"\#(resource)","authorization_servers":[\#(list)]}"#
    }

    /// A valid R9 document as a dictionary, so tests can break one field at a time.
    static func serverFields(issuer: String = issuer) -> [String: JSONValue] {
        func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }
        return [
            "issuer": .string(issuer),
            "authorization_endpoint": .string("\(issuer)/oauth/authorize"),
            "token_endpoint": .string("\(issuer)/oauth/token"),
            "pushed_authorization_request_endpoint": .string("\(issuer)/oauth/par"),
            "revocation_endpoint": .string("\(issuer)/oauth/revoke"),
            "response_types_supported": strings(["code"]),
            "grant_types_supported": strings(["authorization_code", "refresh_token"]),
            "code_challenge_methods_supported": strings(["S256"]),
            "token_endpoint_auth_methods_supported": strings(["none", "private_key_jwt"]),
            "token_endpoint_auth_signing_alg_values_supported": strings(["ES256"]),
            "scopes_supported": strings(["atproto", "transition:generic"]),
            "authorization_response_iss_parameter_supported": .bool(true),
            "require_pushed_authorization_requests": .bool(true),
            "dpop_signing_alg_values_supported": strings(["ES256"]),
            "client_id_metadata_document_supported": .bool(true),
        ]
    }

    static func server(_ fields: [String: JSONValue] = serverFields()) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(JSONValue.object(fields))) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    static func routes() -> [String: FakeAnswer] {
        [
            documentURL: .json(document(), contentType: "application/did+ld+json"),
            resourceURL: .json(resource()),
            serverURL: .json(server()),
        ]
    }

    static func txt() -> [String: [String]] { ["_atproto.\(handle)": ["did=\(did)"]] }

    static func configuration(
        handleResolver: URL? = nil, allowHTTPLoopback: Bool = false, useCache: Bool = true
    ) -> DiscoveryConfiguration {
        DiscoveryConfiguration(
            plcDirectory: URL(string: plc) ?? URL(fileURLWithPath: "/"), handleResolver: handleResolver,
            allowHTTPLoopback: allowHTTPLoopback, useCache: useCache)
    }

    static func discovery(
        _ transport: any HTTPTransport, _ resolver: FakeTXTResolver = FakeTXTResolver(txt()),
        configuration: DiscoveryConfiguration = configuration(), cache: IdentityCache = IdentityCache(),
        clock: @escaping @Sendable () -> Date = { Date() }
    ) -> Discovery {
        Discovery(transport: transport, txtResolver: resolver, configuration: configuration, cache: cache, clock: clock)
    }
}

/// Collects published steps from concurrent callers.
final class StepLog: @unchecked Sendable {
    private let lock = NSLock()
    private var steps: [FlowStep] = []
    func append(_ step: FlowStep) { lock.withLock { steps.append(step) } }
    var all: [FlowStep] { lock.withLock { steps } }
}

/// A clock tests move by hand (cache expiry, R7).
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_800_000_000)
    var now: Date { lock.withLock { current } }
    func advance(_ seconds: TimeInterval) { lock.withLock { current += seconds } }
}
