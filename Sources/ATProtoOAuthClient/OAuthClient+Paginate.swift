import ATProtoOAuth
import Foundation

extension OAuthClient {
    /// Sends an ``XRPCCall`` to the account's PDS the way ``send(_:method:path:query:headers:body:)``
    /// does (DPoP with `ath`, nonces, one refresh on `invalid_token`, a moved PDS followed).
    /// Non-2xx answers are returned, not thrown: read them with `XRPCErrorBody.parse` and
    /// `OAuthScope.missing(in:)`.
    public func call(_ did: DID, _ call: XRPCCall) async throws -> HTTPResponse {
        let body = try call.body()
        return try await send(
            did, method: call.method, path: "/xrpc/\(call.nsid.rawValue)", query: call.query,
            headers: call.requestHeaders(hasBody: body != nil), body: body)
    }

    /// Pages through a query: sends `call`, then again with `cursor` set to each answer's
    /// `cursor`, until an answer has none. Every answer is yielded, a non-2xx one last. A
    /// cursor the server already gave ends the stream too, so a server that repeats itself
    /// cannot keep it going. Pages are fetched as they are consumed.
    ///
    /// ```swift
    /// let call = try XRPCCall("com.atproto.repo.listRecords", fields: [("repo", .string(did.rawValue)), ("collection", .string("app.bsky.feed.post"))])
    /// for try await page in client.paginate(did, call) { print(String(decoding: page.body, as: UTF8.self)) }
    /// ```
    ///
    /// - Throws (from the stream): `.invalidSession` for a call that is not a GET; whatever
    ///   ``call(_:_:)`` throws.
    public func paginate(_ did: DID, _ call: XRPCCall) -> AsyncThrowingStream<HTTPResponse, any Error> {
        let pager = Pager(client: self, did: did, call: call)
        return AsyncThrowingStream { try await pager.next() }
    }
}

/// The state between pages: the next call, and the cursors seen.
private actor Pager {
    let client: OAuthClient
    let did: DID
    var call: XRPCCall?
    var seen: Set<String> = []

    init(client: OAuthClient, did: DID, call: XRPCCall) {
        self.client = client
        self.did = did
        self.call = call
    }

    func next() async throws -> HTTPResponse? {
        guard let current = call else { return nil }
        call = nil
        guard current.method == "GET" else {
            throw ATProtoOAuthError(
                .invalidSession, field: "method",
                "only a query (GET) can be paginated, not \(current.method) \(current.nsid.rawValue)")
        }
        let response = try await client.call(did, current)
        guard (200..<300).contains(response.status),
            let cursor = (try? JSONValue.parse(response.body, source: "response"))?["cursor"]?.stringValue,
            !cursor.isEmpty, seen.insert(cursor).inserted
        else { return response }
        call = current.replacing("cursor", with: cursor)
        return response
    }
}
