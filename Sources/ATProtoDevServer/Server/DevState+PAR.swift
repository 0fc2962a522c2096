import ATProtoOAuth
import Foundation

/// Pushed authorization requests (RFC 9126, R14–R17) at `/oauth/par`.
extension DevState {
    /// What a client id resolved to: its metadata, or the OAuth error to send.
    enum ClientResolution: Sendable {
        case client(ClientMetadata)
        case rejected(DevResponse)
    }

    func pushedAuthorizationRequest(_ request: DevRequest, at part: DevPart) async -> DevResponse {
        let nonce = currentNonce(part)
        return await pushedAuthorizationRequestChecked(request, at: part).adding("DPoP-Nonce", nonce)
    }

    private func pushedAuthorizationRequestChecked(_ request: DevRequest, at part: DevPart) async -> DevResponse {
        guard request.method == "POST" else { return .oauthError(405, "invalid_request", "PAR requires POST") }
        guard let form = request.form else {
            return .oauthError(400, "invalid_request", "body must be application/x-www-form-urlencoded")
        }
        let proof: DPoPProof.Verified
        switch verifyDPoP(request, at: part, accessToken: nil) {
        case .failure(let rejection): return .oauthError(400, rejection.error, rejection.description)
        case .success(let verified): proof = verified
        }
        for name in ["client_id", "response_type", "redirect_uri", "scope", "state", "code_challenge"]
        where form.count(of: name) > 1 {
            return .oauthError(400, "invalid_request", "\(name) must appear once")
        }
        guard let clientID = form.value("client_id"), !clientID.isEmpty else {
            return .oauthError(400, "invalid_request", "client_id is required")
        }
        let client: ClientMetadata
        switch await resolveClient(clientID) {
        case .rejected(let response): return response
        case .client(let metadata): client = metadata
        }
        guard form.value("response_type") == "code" else {
            return .oauthError(400, "unsupported_response_type", "response_type must be code")
        }
        guard form.value("code_challenge_method") == "S256" else {
            return .oauthError(400, "invalid_request", "R15: code_challenge_method must be S256")
        }
        guard let challenge = form.value("code_challenge"), challenge.count == 43,
            Base64URL.decode(challenge)?.count == 32
        else {
            return .oauthError(400, "invalid_request", "R15: code_challenge must be a base64url SHA-256 digest")
        }
        guard let state = form.value("state"), !state.isEmpty else {
            return .oauthError(400, "invalid_request", "R16: state is required")
        }
        guard let redirectURI = form.value("redirect_uri"), !redirectURI.isEmpty else {
            return .oauthError(400, "invalid_request", "redirect_uri is required")
        }
        guard client.allowsRedirectURI(redirectURI) else {
            return .oauthError(
                400, "invalid_request", "R12: redirect_uri \(redirectURI) is not registered for this client")
        }
        let requested = (form.value("scope") ?? "").split(separator: " ").map(String.init)
        let allowed = Set((client.scope ?? "").split(separator: " ").map(String.init))
        guard requested.contains("atproto") else {
            return .oauthError(400, "invalid_scope", "R28: scope must include atproto")
        }
        if let extra = requested.first(where: { !allowed.contains($0) }) {
            return .oauthError(400, "invalid_scope", "scope \(extra) is not declared by the client")
        }
        if let problem = requested.lazy.compactMap(DevPermissionSets.problem(with:)).first {
            return .oauthError(400, "invalid_scope", "R28: \(problem)")
        }
        let requestURI = "urn:ietf:params:oauth:request_uri:req-" + Self.randomString(bytes: 16)
        let lifetime = configuration.requestURILifetime
        pushedRequests[requestURI] = PushedRequest(
            issuer: part, clientID: clientID, clientName: client.clientName, redirectURI: redirectURI,
            scope: requested.joined(separator: " "), state: state, codeChallenge: challenge,
            loginHint: form.value("login_hint"), jkt: proof.jkt,
            expiresAt: now().addingTimeInterval(lifetime.timeInterval))
        return .json(
            201,
            [
                "request_uri": .string(requestURI),
                "expires_in": .number(max(1, lifetime.timeInterval.rounded(.down))),
            ], headers: [("Cache-Control", "no-store")])
    }

    /// R13 development client id, or a hosted client-metadata URL fetched and checked
    /// (R10–R12; plain-http loopback URLs allowed, as this is a development network).
    func resolveClient(_ clientID: String) async -> ClientResolution {
        if clientID == "http://localhost" || clientID.hasPrefix("http://localhost?") {
            do {
                return .client(try ClientMetadata.parseDevelopmentClientID(clientID))
            } catch {
                return .rejected(.oauthError(400, "invalid_client", "\(error)"))
            }
        }
        guard let url = URL(string: clientID), let scheme = url.scheme?.lowercased(),
            scheme == "https" || (scheme == "http" && url.isLoopback)
        else {
            return .rejected(.oauthError(400, "invalid_client", "R10: client_id must be an https URL"))
        }
        guard let fetcher = configuration.clientMetadataFetcher else {
            return .rejected(
                .oauthError(400, "invalid_client", "this dev network fetches no client metadata; use http://localhost"))
        }
        let response: HTTPResponse
        do {
            response = try await fetcher.send(
                HTTPRequest(method: "GET", url: url, headers: [("Accept", "application/json")]))
        } catch {
            return .rejected(.oauthError(400, "invalid_client", "R10: client metadata fetch failed: \(error)"))
        }
        let metadata: ClientMetadata
        do {
            metadata = try ClientMetadata.decode(response.body)
        } catch {
            return .rejected(.oauthError(400, "invalid_client_metadata", "\(error)"))
        }
        let devLoopback = scheme == "http"
        let failures = metadata.checks(clientID: url, fetchedResponse: response).failures.filter {
            !(devLoopback && $0.name == "client_id_url")
        }
        if let failure = failures.first {
            return .rejected(
                .oauthError(400, "invalid_client_metadata", "\(failure.rule) \(failure.name): \(failure.detail)"))
        }
        return .client(metadata)
    }
}
