import ATProtoOAuth
import Foundation

/// The authorization endpoint: `GET /oauth/authorize?client_id&request_uri` shows the
/// consent page (or, with `autoApprove`, redirects at once); the page's forms post to
/// `/oauth/authorize/decision`. The redirect carries `code`, `state` and `iss` (RFC 9207,
/// R18) or `error=access_denied`.
extension DevState {
    func authorize(_ request: DevRequest, at part: DevPart) -> DevResponse {
        guard request.method == "GET" else { return .html(405, DevConsentPage.error("Use GET.")) }
        let found = pendingRequest(
            requestURI: request.queryValue("request_uri"), clientID: request.queryValue("client_id"), at: part)
        let pushed: PushedRequest
        switch found {
        case .failure(let page): return page.response
        case .success(let value): pushed = value
        }
        let requestURI = request.queryValue("request_uri") ?? ""
        let candidates = accounts(authorizedBy: part)
        let hinted = DevAccount.matching(hint: pushed.loginHint, in: accounts).flatMap {
            candidates.contains($0) ? $0 : nil
        }
        let account = hinted ?? candidates.first
        guard let account else { return .html(500, DevConsentPage.error("This server hosts no accounts.")) }
        if configuration.autoApprove {
            return decide(requestURI: requestURI, approve: true, account: account, at: part)
        }
        return .html(
            200,
            DevConsentPage.consent(
                clientID: pushed.clientID, clientName: pushed.clientName, scope: pushed.scope,
                requestURI: requestURI, accounts: candidates, selected: account))
    }

    /// `POST /oauth/authorize/decision` from the consent page.
    func authorizeDecision(_ request: DevRequest, at part: DevPart) -> DevResponse {
        guard request.method == "POST", let form = request.form else {
            return .html(400, DevConsentPage.error("The consent form must be posted."))
        }
        let requestURI = form.value("request_uri") ?? ""
        switch pendingRequest(requestURI: requestURI, clientID: form.value("client_id"), at: part) {
        case .failure(let page): return page.response
        case .success: break
        }
        let candidates = accounts(authorizedBy: part)
        guard let account = candidates.first(where: { $0.did == form.value("account") }) ?? candidates.first else {
            return .html(400, DevConsentPage.error("Unknown account."))
        }
        return decide(requestURI: requestURI, approve: form.value("decision") == "approve", account: account, at: part)
    }

    /// `DevNetwork.approve`/`deny`: the consent decision without a browser. Returns the
    /// redirect location, or `nil` when the request is unknown, used or expired.
    func decideProgrammatically(requestURI: String, approve: Bool, account hint: String?) -> String? {
        guard let pushed = pushedRequests[requestURI], !pushed.used, pushed.expiresAt > now() else { return nil }
        let part = pushed.issuer
        let candidates = accounts(authorizedBy: part)
        let hinted = DevAccount.matching(hint: hint ?? pushed.loginHint, in: accounts).flatMap {
            candidates.contains($0) ? $0 : nil
        }
        guard let account = hinted ?? candidates.first else { return nil }
        let response = decide(requestURI: requestURI, approve: approve, account: account, at: part)
        return response.headers.first { $0.0 == "Location" }?.1
    }

    /// Approves (issuing a code) or denies a pending request; either way it is used up.
    func decide(requestURI: String, approve: Bool, account: DevAccount, at part: DevPart) -> DevResponse {
        guard var pushed = pushedRequests[requestURI] else {
            return .html(400, DevConsentPage.error("Unknown request."))
        }
        pushed.used = true
        pushedRequests[requestURI] = pushed
        var items: [(String, String)]
        if approve {
            let code = "cod-" + Self.randomString()
            codes[code] = CodeGrant(
                request: pushed, account: account,
                expiresAt: now().addingTimeInterval(configuration.codeLifetime.timeInterval))
            items = [("code", code)]
        } else {
            items = [("error", "access_denied"), ("error_description", "The user denied the request")]
        }
        items += [("state", pushed.state), ("iss", topology.origin(part))]
        let separator = pushed.redirectURI.contains("?") ? "&" : "?"
        return .redirect(to: pushed.redirectURI + separator + FormEncoding.encode(items))
    }

    /// The unexpired, unused request a `request_uri` names for this client at this server,
    /// or the 400 error page a real server shows (nothing is redirected: the redirect URI
    /// of an unknown request cannot be trusted).
    private func pendingRequest(requestURI: String?, clientID: String?, at part: DevPart) -> Result<
        PushedRequest, PageResponse
    > {
        guard let requestURI, !requestURI.isEmpty else {
            return .failure(PageResponse(.html(400, DevConsentPage.error("request_uri is required (R14: PAR only)."))))
        }
        guard let pushed = pushedRequests[requestURI], pushed.issuer == part else {
            return .failure(PageResponse(.html(400, DevConsentPage.error("Unknown request_uri."))))
        }
        guard !pushed.used else {
            return .failure(PageResponse(.html(400, DevConsentPage.error("This request_uri was already used."))))
        }
        guard pushed.expiresAt > now() else {
            return .failure(PageResponse(.html(400, DevConsentPage.error("This request_uri has expired."))))
        }
        guard clientID == pushed.clientID else {
            return .failure(PageResponse(.html(400, DevConsentPage.error("client_id does not match the request."))))
        }
        return .success(pushed)
    }
}

/// A response used as the failure of a `Result`.
struct PageResponse: Error, Sendable {
    let response: DevResponse
    init(_ response: DevResponse) { self.response = response }
}
