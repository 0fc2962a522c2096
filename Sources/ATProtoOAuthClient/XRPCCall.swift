import ATProtoOAuth
import Foundation

/// One XRPC call as a person describes it (`atproto-oauth api`): the method, its fields, an
/// optional raw body, extra headers and the service to proxy to. ``OAuthClient/call(_:_:)``
/// sends it and ``OAuthClient/paginate(_:_:)`` pages through it.
///
/// Where the fields go follows the Lexicon HTTP conventions: a query (GET) carries them as
/// query parameters; a procedure (POST) carries them as the members of a JSON object body,
/// unless a raw `input` is the body — then they are query parameters again.
///
/// ```swift
/// let call = try XRPCCall("app.bsky.feed.getAuthorFeed", fields: [("actor", .string(did.rawValue)), ("limit", .number(50))])
/// for try await page in client.paginate(did, call) { … }
/// ```
public struct XRPCCall: Sendable {
    /// The Lexicon method.
    public var nsid: NSID
    /// `GET` or `POST` (upper-cased; other methods are sent as given).
    public var method: String
    /// Named values in order; a name may repeat (repeated query parameters, or a JSON array).
    public var fields: [(name: String, value: JSONValue)]
    /// Raw bytes to send as the body (a record, an image for `uploadBlob`).
    public var input: Data?
    /// The body's media type (default `application/json`).
    public var contentType: String
    /// Extra request headers; an `Accept` or `Content-Type` given here wins.
    public var headers: [(name: String, value: String)]
    /// `atproto-proxy`: a DID service reference (`did:web:api.bsky.app#bsky_appview`) the PDS
    /// forwards the call to.
    public var proxy: String?

    /// - Parameters:
    ///   - nsid: the Lexicon method, e.g. `com.atproto.repo.listRecords`.
    ///   - method: `nil` means GET, or POST when there is an `input`.
    ///   - fields: named values in order (see ``query`` and ``body()`` for where they go).
    ///   - input: raw bytes to send as the body.
    ///   - contentType: the media type of `input` (or of the JSON body).
    ///   - headers: extra request headers.
    ///   - proxy: the `atproto-proxy` service reference, `DID#SERVICE`.
    /// - Throws: `.invalidNSID` for a malformed method name, `.invalidDID` for a malformed
    ///   `proxy`.
    public init(
        _ nsid: String, method: String? = nil, fields: [(name: String, value: JSONValue)] = [], input: Data? = nil,
        contentType: String = "application/json", headers: [(name: String, value: String)] = [],
        proxy: String? = nil
    ) throws {
        self.nsid = try NSID(nsid)
        self.method = (method ?? (input == nil ? "GET" : "POST")).uppercased()
        self.fields = fields
        self.input = input
        self.contentType = contentType
        self.headers = headers
        if let proxy, let problem = Self.proxyProblem(proxy) {
            throw ATProtoOAuthError(.invalidDID, field: "atproto-proxy", problem)
        }
        self.proxy = proxy
    }

    /// Why `value` is not an `atproto-proxy` value (`<did>#<service id>`); `nil` when it is.
    public static func proxyProblem(_ value: String) -> String? {
        let parts = value.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            return "\(value) is not a service reference: expected DID#SERVICE, e.g. did:web:api.bsky.app#bsky_appview"
        }
        guard (try? DID(String(parts[0]))) != nil else { return "\(parts[0]) is not a DID" }
        let service = parts[1]
        guard !service.isEmpty, !service.contains("#"),
            service.allSatisfy({ $0.isASCII && !$0.isWhitespace && !$0.isNewline })
        else { return "\(value): the service id after # must be a non-empty token" }
        return nil
    }

    /// Whether the fields travel as query parameters (a GET, or a body given as `input`).
    var fieldsInQuery: Bool { method == "GET" || method == "HEAD" || input != nil }

    /// The query items: the fields for a GET or alongside `input`. A `null` is left out, an
    /// array gives one item per element, numbers print as integers when they are.
    public var query: [(String, String)] {
        guard fieldsInQuery else { return [] }
        return fields.flatMap { name, value -> [(String, String)] in
            switch value {
            case .array(let elements): elements.compactMap { Self.queryText($0).map { (name, $0) } }
            default: Self.queryText(value).map { [(name, $0)] } ?? []
            }
        }
    }

    /// The body: `input`, else for a procedure with fields the JSON object of the fields (a
    /// repeated name becomes an array), else none.
    public func body() throws -> Data? {
        if let input { return input }
        guard !fieldsInQuery, !fields.isEmpty else { return nil }
        var grouped: [String: [JSONValue]] = [:]
        for (name, value) in fields { grouped[name, default: []].append(value) }
        let object = grouped.mapValues { $0.count == 1 ? $0[0] : JSONValue.array($0) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(JSONValue.object(object))
    }

    /// The request headers: `Accept: application/json` and, with a body, its `Content-Type`
    /// (unless given), `atproto-proxy`, then the extra headers.
    func requestHeaders(hasBody: Bool) -> [(name: String, value: String)] {
        func given(_ name: String) -> Bool {
            headers.contains { $0.name.caseInsensitiveCompare(name) == .orderedSame }
        }
        var all: [(name: String, value: String)] = []
        if !given("Accept") { all.append(("Accept", "application/json")) }
        if hasBody, !given("Content-Type") { all.append(("Content-Type", contentType)) }
        if let proxy, !given("atproto-proxy") { all.append(("atproto-proxy", proxy)) }
        return all + headers
    }

    /// The field with `name` set to `value` (replacing every earlier value): the cursor.
    func replacing(_ name: String, with value: String) -> XRPCCall {
        var copy = self
        copy.fields.removeAll { $0.name == name }
        copy.fields.append((name, .string(value)))
        return copy
    }

    private static func queryText(_ value: JSONValue) -> String? {
        switch value {
        case .null: return nil
        case .bool(let flag): return flag ? "true" : "false"
        case .string(let text): return text
        case .number(let number):
            if number.rounded() == number, abs(number) < 9_007_199_254_740_992 { return String(Int64(number)) }
            return String(number)
        case .array, .object:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) }
        }
    }
}
