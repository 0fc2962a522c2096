import ATProtoOAuth
import Foundation

/// The token endpoint (RFC 6749 §4.1.3, §6 with RFC 9449 binding) and revocation (RFC 7009).
extension DevState {
    func token(_ request: DevRequest, at part: DevPart) -> DevResponse {
        let nonce = currentNonce(part)
        return tokenChecked(request, at: part).adding("DPoP-Nonce", nonce)
    }

    private func tokenChecked(_ request: DevRequest, at part: DevPart) -> DevResponse {
        guard request.method == "POST" else { return .oauthError(405, "invalid_request", "token requires POST") }
        guard let form = request.form else {
            return .oauthError(400, "invalid_request", "body must be application/x-www-form-urlencoded")
        }
        let proof: DPoPProof.Verified
        switch verifyDPoP(request, at: part, accessToken: nil) {
        case .failure(let rejection): return .oauthError(400, rejection.error, rejection.description)
        case .success(let verified): proof = verified
        }
        switch form.value("grant_type") {
        case "authorization_code": return exchangeCode(form, proof: proof, at: part)
        case "refresh_token": return refresh(form, proof: proof, at: part)
        case nil: return .oauthError(400, "invalid_request", "grant_type is required")
        case let other?: return .oauthError(400, "unsupported_grant_type", "grant_type \(other) is not supported")
        }
    }

    /// R19: single-use code, PKCE S256, same client, redirect URI and DPoP key as the PAR.
    /// The session's scope is the grant: `include:` permission sets expanded (R20, R28).
    private func exchangeCode(_ form: [(String, String)], proof: DPoPProof.Verified, at part: DevPart)
        -> DevResponse
    {
        guard let code = form.value("code"), var grant = codes[code], grant.request.issuer == part else {
            return .oauthError(400, "invalid_grant", "unknown authorization code")
        }
        guard !grant.used else {
            // A replayed code means it leaked: revoke what it was exchanged for (RFC 6749 §4.1.2).
            if let sessionID = grant.sessionID { revokeSession(sessionID) }
            return .oauthError(400, "invalid_grant", "authorization code was already used")
        }
        grant.used = true
        codes[code] = grant
        guard grant.expiresAt > now() else { return .oauthError(400, "invalid_grant", "authorization code expired") }
        guard form.value("client_id") == grant.request.clientID else {
            return .oauthError(400, "invalid_grant", "client_id does not match the authorization request")
        }
        guard form.value("redirect_uri") == grant.request.redirectURI else {
            return .oauthError(400, "invalid_grant", "redirect_uri does not match the authorization request")
        }
        guard let verifier = form.value("code_verifier") else {
            return .oauthError(400, "invalid_request", "R19: code_verifier is required")
        }
        guard (try? PKCE(verifier: verifier)) != nil, PKCE.challenge(for: verifier) == grant.request.codeChallenge
        else {
            return .oauthError(400, "invalid_grant", "R15: code_verifier does not match the code_challenge")
        }
        guard proof.jkt == grant.request.jkt else {
            return .oauthError(400, "invalid_dpop_proof", "DPoP key differs from the one used for the PAR request")
        }
        let session = DevSession(
            id: Self.randomString(bytes: 16), account: grant.account, issuer: part, clientID: grant.request.clientID,
            scope: DevPermissionSets.granted(for: grant.request.scope), jkt: proof.jkt,
            expiresAt: now().addingTimeInterval(configuration.refreshTokenLifetime.timeInterval))
        sessions[session.id] = session
        grant.sessionID = session.id
        codes[code] = grant
        return issueTokens(for: session)
    }

    /// R24: single-use, rotating refresh tokens bound to the session's DPoP key; a replay
    /// revokes the whole session.
    private func refresh(_ form: [(String, String)], proof: DPoPProof.Verified, at part: DevPart) -> DevResponse {
        guard let token = form.value("refresh_token"), var record = refreshTokens[token],
            let session = sessions[record.sessionID], session.issuer == part
        else {
            return .oauthError(400, "invalid_grant", "unknown refresh token")
        }
        guard !record.used else {
            refreshTokenReplays += 1
            revokeSession(session.id)
            return .oauthError(400, "invalid_grant", "R24: refresh token replayed; the session has been revoked")
        }
        guard !session.revoked else { return .oauthError(400, "invalid_grant", "session has been revoked") }
        guard session.expiresAt > now() else { return .oauthError(400, "invalid_grant", "session has expired") }
        guard form.value("client_id") == session.clientID else {
            return .oauthError(400, "invalid_grant", "client_id does not match the session")
        }
        guard proof.jkt == session.jkt else {
            return .oauthError(400, "invalid_dpop_proof", "DPoP key does not match the session's key")
        }
        record.used = true
        refreshTokens[token] = record
        return issueTokens(for: session)
    }

    private func issueTokens(for session: DevSession) -> DevResponse {
        let accessToken = "at-" + Self.randomString()
        let refreshToken = "rt-" + Self.randomString()
        let lifetime = configuration.accessTokenLifetime.timeInterval
        accessTokens[accessToken] = AccessTokenRecord(
            sessionID: session.id, expiresAt: now().addingTimeInterval(lifetime))
        refreshTokens[refreshToken] = RefreshTokenRecord(sessionID: session.id)
        return .json(
            200,
            [
                "access_token": .string(accessToken),
                "token_type": .string("DPoP"),
                "expires_in": .number(max(1, lifetime.rounded(.down))),
                "refresh_token": .string(refreshToken),
                "scope": .string(session.scope),
                "sub": .string(session.account.did),
            ], headers: [("Cache-Control", "no-store"), ("Pragma", "no-cache")])
    }

    /// RFC 7009: 200 for any well-formed request, whether or not the token was known;
    /// revoking either token ends its whole session (R27).
    func revoke(_ request: DevRequest, at part: DevPart) -> DevResponse {
        let nonce = currentNonce(part)
        return revokeChecked(request, at: part).adding("DPoP-Nonce", nonce)
    }

    private func revokeChecked(_ request: DevRequest, at part: DevPart) -> DevResponse {
        guard request.method == "POST", let form = request.form else {
            return .oauthError(400, "invalid_request", "revocation requires a POSTed form")
        }
        if request.header("dpop") != nil, case .failure(let rejection) = verifyDPoP(request, at: part, accessToken: nil)
        {
            return .oauthError(400, rejection.error, rejection.description)
        }
        guard let token = form.value("token"), !token.isEmpty else {
            return .oauthError(400, "invalid_request", "token is required")
        }
        let sessionID = accessTokens[token]?.sessionID ?? refreshTokens[token]?.sessionID
        if let sessionID, let session = sessions[sessionID], session.issuer == part {
            revokeSession(sessionID)
        }
        return DevResponse(status: 200, headers: [("Cache-Control", "no-store")])
    }

    func revokeSession(_ id: String) {
        sessions[id]?.revoked = true
    }
}
