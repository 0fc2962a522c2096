import Foundation

/// An HTTP request as the core builds it: plain values, so tests can pin every byte.
public struct HTTPRequest: Sendable, Hashable {
    /// The HTTP method, e.g. `GET` or `POST`.
    public var method: String
    /// The absolute URL, query included.
    public var url: URL
    /// Header fields in order; names compared case-insensitively by `HTTPResponse.header(_:)`.
    public var headers: [(name: String, value: String)]
    /// The request body; `nil` for none.
    public var body: Data?

    /// Builds a request; headers are sent in the order given.
    public init(method: String, url: URL, headers: [(name: String, value: String)] = [], body: Data? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// Equal when method, URL, body and every header (in order) are equal.
    public static func == (lhs: HTTPRequest, rhs: HTTPRequest) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.body == rhs.body
            && lhs.headers.map(\.name) == rhs.headers.map(\.name)
            && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }

    /// Hashes what `==` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(method)
        hasher.combine(url)
        hasher.combine(body)
        for (name, value) in headers {
            hasher.combine(name)
            hasher.combine(value)
        }
    }

    /// The first value of a header, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// An HTTP response as the core validates it.
public struct HTTPResponse: Sendable, Hashable {
    /// The HTTP status code.
    public var status: Int
    /// Header fields in order, as received; look them up with ``header(_:)``.
    public var headers: [(name: String, value: String)]
    /// The complete body (the transport caps its size).
    public var body: Data

    /// Builds a response (transports, and canned responses in tests).
    public init(status: Int, headers: [(name: String, value: String)] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Equal when status, body and every header (in order) are equal.
    public static func == (lhs: HTTPResponse, rhs: HTTPResponse) -> Bool {
        lhs.status == rhs.status && lhs.body == rhs.body
            && lhs.headers.map(\.name) == rhs.headers.map(\.name)
            && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }

    /// Hashes what `==` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(status)
        hasher.combine(body)
        for (name, value) in headers {
            hasher.combine(name)
            hasher.combine(value)
        }
    }

    /// The first value of a header, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// The media type without parameters, lower-cased (`application/json`).
    public var mediaType: String? {
        header("Content-Type")?.split(separator: ";").first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    }
}

/// The only way the core performs HTTP. `ATProtoHTTP` implements it with AsyncHTTPClient;
/// unit tests implement it with canned responses.
///
/// Implementations must not follow redirects (R29: metadata is fetched without redirects,
/// so a 3xx is returned to the caller as a response), must enforce timeouts and a body
/// cap, and must refuse plain-http URLs except loopback in an explicit development mode.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and returns the whole response, whatever its status; throws only when
    /// no response arrived (or the transport refused the URL before connecting).
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}

/// DNS TXT look-ups for handle resolution (R3). `ATProtoHTTP` implements it with glibc's
/// `res_nquery`.
public protocol TXTResolver: Sendable {
    /// The TXT strings for `name`, each record's character-strings joined. An empty array
    /// means the name exists with no TXT records or does not exist (NXDOMAIN).
    func txtRecords(for name: String) async throws -> [String]
}
