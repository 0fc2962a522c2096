import ATProtoOAuth
import Foundation

extension OAuthClient {
    /// Sends a request to the account's PDS with its DPoP-bound token (R22): a proof with
    /// `ath`, the PDS's nonce (retried once when it asks, R23), and on `invalid_token` one
    /// refresh and one retry (R25). The URL is built from the session's current PDS, so a
    /// PDS the account moved to (R21) is followed.
    ///
    /// - Parameters:
    ///   - did: the account whose session authorises the request.
    ///   - method: the HTTP method.
    ///   - path: the path on the PDS, e.g. `/xrpc/com.atproto.server.getSession`.
    ///   - query: query items in order; repeated names are kept.
    ///   - headers: extra headers (e.g. `atproto-proxy`, `Content-Type`).
    ///   - body: the request body, if any.
    public func send(
        _ did: DID, method: String, path: String, query: [(String, String)] = [],
        headers: [(name: String, value: String)] = [], body: Data? = nil
    ) async throws -> HTTPResponse {
        try await agent.send(did, method: method, path: path, query: query, headers: headers, body: body)
    }

    /// Calls an XRPC method on the account's PDS: a query (GET) without `body`, a procedure
    /// (POST) with it. `headers` may add e.g. `atproto-proxy`. Non-2xx answers are returned,
    /// not thrown: their `error` and `message` are the server's to tell.
    public func xrpc(
        _ did: DID, _ method: NSID, parameters: [(String, String)] = [], body: Data? = nil,
        contentType: String = "application/json", headers: [(name: String, value: String)] = []
    ) async throws -> HTTPResponse {
        var all = headers
        if body != nil { all.append(("Content-Type", contentType)) }
        if !all.contains(where: { $0.name.caseInsensitiveCompare("Accept") == .orderedSame }) {
            all.append(("Accept", "application/json"))
        }
        return try await send(
            did, method: body == nil ? "GET" : "POST", path: "/xrpc/\(method.rawValue)", query: parameters,
            headers: all, body: body)
    }

    /// ``xrpc(_:_:parameters:body:contentType:headers:)`` with the NSID as a string.
    public func xrpc(
        _ did: DID, _ method: String, parameters: [(String, String)] = [], body: Data? = nil,
        contentType: String = "application/json", headers: [(name: String, value: String)] = []
    ) async throws -> HTTPResponse {
        try await xrpc(
            did, try NSID(method), parameters: parameters, body: body, contentType: contentType, headers: headers)
    }
}
