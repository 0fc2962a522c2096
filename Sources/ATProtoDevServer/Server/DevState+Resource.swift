import ATProtoOAuth
import Foundation

/// The resource-server side of a PDS: DPoP-bound access tokens (RFC 9449 §7).
extension DevState {
    /// XRPC `com.atproto.server.getSession`: who the token belongs to, if it is valid here.
    func getSession(_ request: DevRequest, at part: DevPart) -> DevResponse {
        let nonce = currentNonce(part)
        return authorizeResource(request, at: part).adding("DPoP-Nonce", nonce)
    }

    private func authorizeResource(_ request: DevRequest, at part: DevPart) -> DevResponse {
        guard let authorization = request.header("authorization"), !authorization.isEmpty else {
            return .dpopChallenge("invalid_token", "Authorization header required")
        }
        let pieces = authorization.split(separator: " ", maxSplits: 1).map(String.init)
        guard pieces.count == 2, !pieces[1].isEmpty else {
            return .dpopChallenge("invalid_token", "malformed Authorization header")
        }
        guard pieces[0].caseInsensitiveCompare("DPoP") == .orderedSame else {
            // A DPoP-bound token sent as a bearer token is a downgrade attempt (RFC 9449 §7.2).
            return .dpopChallenge("invalid_token", "DPoP-bound access token requires the DPoP scheme")
        }
        let token = pieces[1]
        let proof: DPoPProof.Verified
        switch verifyDPoP(request, at: part, accessToken: token) {
        case .failure(let rejection): return .dpopChallenge(rejection.error, rejection.description)
        case .success(let verified): proof = verified
        }
        guard let record = accessTokens[token], let session = sessions[record.sessionID] else {
            return .dpopChallenge("invalid_token", "unknown access token")
        }
        guard !session.revoked else { return .dpopChallenge("invalid_token", "token has been revoked") }
        guard record.expiresAt > now() else { return .dpopChallenge("invalid_token", "token has expired") }
        guard part.authorizationServerOfPDS == session.issuer else {
            return .dpopChallenge("invalid_token", "token was not issued for this resource server")
        }
        guard pdsPart(of: session.account) == part else {
            // The account moved away (R21): its tokens are no good here any more.
            return .dpopChallenge("invalid_token", "the account is not hosted on this PDS")
        }
        guard proof.jkt == session.jkt else {
            return .dpopChallenge("invalid_dpop_proof", "DPoP key does not match the token's cnf.jkt")
        }
        return .json(
            200,
            [
                "did": .string(session.account.did),
                "handle": .string(session.account.handle),
                "active": .bool(true),
                "emailConfirmed": .bool(true),
            ])
    }
}
