import ATProtoOAuth
import Crypto
import Foundation

/// Minimal repository calls on a dev PDS, enough to exercise `atproto-oauth api`: they check
/// the DPoP-bound token exactly as `getSession` does, enforce the granted scope the way the
/// reference PDS does (403 `ScopeMissingError`), store nothing, and echo what they received.
///
/// - `com.atproto.repo.uploadBlob` (POST, any body): a blob ref with the size and MIME type.
/// - `com.atproto.repo.createRecord` (POST JSON): a made-up URI and CID, and the body as received.
/// - `com.atproto.repo.listRecords` (GET): three pages chained by `cursor`, each echoing the
///   query items and the `atproto-proxy` header it was sent with.
extension DevState {
    /// The answer of a repository call, or `nil` when `request` is not one.
    func repoRoute(_ request: DevRequest, at part: DevPart) -> DevResponse? {
        switch request.path {
        case "/xrpc/com.atproto.repo.uploadBlob": uploadBlob(request, at: part)
        case "/xrpc/com.atproto.repo.createRecord": createRecord(request, at: part)
        case "/xrpc/com.atproto.repo.listRecords": listRecords(request, at: part)
        default: nil
        }
    }

    func uploadBlob(_ request: DevRequest, at part: DevPart) -> DevResponse {
        guard request.method == "POST" else { return .xrpcError(405, "InvalidRequest", "uploadBlob is a procedure") }
        let session: DevSession
        switch resourceSession(request, at: part) {
        case .refused(let refusal): return refusal
        case .session(let found): session = found
        }
        let mimeType =
            request.header("content-type")?.split(separator: ";").first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? "application/octet-stream"
        if let missing = missingScope(session, .blob(mimeType)) {
            return missing.adding("DPoP-Nonce", currentNonce(part))
        }
        let link = "bafkrei" + SHA256.hash(data: request.body).map { String(format: "%02x", $0) }.joined().prefix(52)
        return .json(
            200,
            [
                "blob": .object([
                    "$type": .string("blob"),
                    "ref": .object(["$link": .string(link)]),
                    "mimeType": .string(mimeType),
                    "size": .number(Double(request.body.count)),
                ])
            ]
        ).adding("DPoP-Nonce", currentNonce(part))
    }

    func createRecord(_ request: DevRequest, at part: DevPart) -> DevResponse {
        guard request.method == "POST" else { return .xrpcError(405, "InvalidRequest", "createRecord is a procedure") }
        let session: DevSession
        switch resourceSession(request, at: part) {
        case .refused(let refusal): return refusal
        case .session(let found): session = found
        }
        guard let body = try? JSONValue.parse(request.body, source: "body"), case .object = body,
            let collection = body["collection"]?.stringValue, (try? NSID(collection)) != nil
        else {
            return .xrpcError(400, "InvalidRequest", "expected a JSON object with a collection NSID")
                .adding("DPoP-Nonce", currentNonce(part))
        }
        if let missing = missingScope(session, .repo(collection)) {
            return missing.adding("DPoP-Nonce", currentNonce(part))
        }
        let rkey = Self.randomString(bytes: 8)
        return .json(
            200,
            [
                "uri": .string("at://\(session.account.did)/\(collection)/\(rkey)"),
                "cid": .string("bafyrei" + rkey.lowercased()),
                "received": body,
            ]
        ).adding("DPoP-Nonce", currentNonce(part))
    }

    func listRecords(_ request: DevRequest, at part: DevPart) -> DevResponse {
        switch resourceSession(request, at: part) {
        case .refused(let refusal): return refusal
        case .session: break
        }
        let page = Int(request.queryValue("cursor") ?? "1") ?? 1
        guard (1...3).contains(page) else {
            return .xrpcError(400, "InvalidRequest", "unknown cursor").adding("DPoP-Nonce", currentNonce(part))
        }
        var object: [String: JSONValue] = [
            "page": .number(Double(page)),
            "records": .array([.object(["uri": .string("at://dev/record/\(page)"), "value": .object([:])])]),
            "received": .object([
                "query": .array(request.query.map { .array([.string($0.0), .string($0.1)]) }),
                "atprotoProxy": request.header("atproto-proxy").map(JSONValue.string) ?? .null,
            ]),
        ]
        if page < 3 { object["cursor"] = .string(String(page + 1)) }
        return .json(200, object).adding("DPoP-Nonce", currentNonce(part))
    }

    /// The session behind the request's token, checked as `getSession` checks it; its
    /// refusal (a DPoP challenge, with the PDS nonce) otherwise.
    private func resourceSession(_ request: DevRequest, at part: DevPart) -> Authorized {
        let answer = getSession(request, at: part)
        guard answer.status == 200 else { return .refused(answer) }
        let token = request.header("authorization")?.split(separator: " ", maxSplits: 1).last.map(String.init) ?? ""
        guard let record = accessTokens[token], let session = sessions[record.sessionID] else {
            return .refused(.dpopChallenge("invalid_token", "unknown access token"))
        }
        return .session(session)
    }

    private enum Authorized {
        case session(DevSession)
        case refused(DevResponse)
    }

    private enum Needed {
        case blob(String)
        case repo(String)
    }

    /// The reference PDS's answer when the grant lacks the permission: 403
    /// `{"error":"ScopeMissingError","message":"Missing required scope \"…\""}`.
    private func missingScope(_ session: DevSession, _ needed: Needed) -> DevResponse? {
        let granted = (try? ScopeSet(granted: session.scope)) ?? ScopeSet([])
        if granted.contains(.transitionGeneric) { return nil }
        let scope: String
        switch needed {
        case .blob(let mimeType): scope = "blob:\(mimeType)"
        case .repo(let collection): scope = "repo:\(collection)?action=create"
        }
        guard let wanted = try? OAuthScope(scope), !granted.grants(wanted) else { return nil }
        return .xrpcError(403, "ScopeMissingError", "Missing required scope \"\(scope)\"")
    }
}
