import ATProtoOAuth
import Foundation

/// Why a DPoP proof was refused: the OAuth error code a real server sends and why.
struct DPoPRejection: Error, Sendable {
    /// `invalid_dpop_proof` or `use_dpop_nonce`.
    let error: String
    let description: String

    static func invalid(_ description: String) -> DPoPRejection {
        DPoPRejection(error: "invalid_dpop_proof", description: description)
    }
}

extension DevState {
    /// Verifies the request's DPoP proof the way a strict server does (RFC 9449 §4.3, R22):
    /// exactly one well-formed proof (typ, alg, public jwk, signature — `DPoPProof.verify`),
    /// `htm`/`htu` equal to this request, `iat` within `proofMaxAge` both ways, the server's
    /// current or previous nonce (R23), an unseen `jti`, and `ath` when a token is presented.
    /// The jti is remembered only once everything else passed, so a nonce retry with a fresh
    /// proof is never mistaken for a replay.
    func verifyDPoP(_ request: DevRequest, at part: DevPart, accessToken: String?) -> Result<
        DPoPProof.Verified, DPoPRejection
    > {
        guard let compact = request.header("dpop"), !compact.isEmpty else {
            return .failure(.invalid("DPoP proof required"))
        }
        guard !compact.contains(",") else { return .failure(.invalid("exactly one DPoP proof is allowed")) }
        let proof: DPoPProof.Verified
        do {
            proof = try DPoPProof.verify(compact)
        } catch {
            return .failure(.invalid("invalid DPoP proof: \(error)"))
        }
        guard proof.htm == request.method.uppercased() else {
            return .failure(.invalid("DPoP htm \(proof.htm) does not match the request method \(request.method)"))
        }
        let expectedHTU = topology.origin(part) + request.path
        guard let htuURL = URL(string: proof.htu), htuURL.query == nil, htuURL.fragment == nil,
            DPoPProof.htu(for: htuURL) == expectedHTU
        else {
            return .failure(.invalid("DPoP htu \(proof.htu) does not match the request URL \(expectedHTU)"))
        }
        let time = now()
        let maxAge = configuration.proofMaxAge.timeInterval
        let age = time.timeIntervalSince1970 - TimeInterval(proof.iat)
        guard age <= maxAge else { return .failure(.invalid("DPoP proof iat is too old")) }
        guard age >= -maxAge else { return .failure(.invalid("DPoP proof iat is in the future")) }
        guard acceptsNonce(proof.nonce, at: part) else {
            let reason =
                proof.nonce == nil
                ? "Server requires nonce in DPoP proof" : "DPoP nonce is stale or unknown"
            return .failure(DPoPRejection(error: "use_dpop_nonce", description: reason))
        }
        if let accessToken {
            guard let ath = proof.ath else { return .failure(.invalid("DPoP proof lacks ath for the access token")) }
            guard ath == DPoPProof.accessTokenHash(accessToken) else {
                return .failure(.invalid("DPoP ath does not match the access token"))
            }
        }
        pruneJTIs(time)
        let key = "\(proof.jkt) \(proof.jti)"
        guard seenJTIs[key] == nil else { return .failure(.invalid("DPoP proof jti was already used")) }
        seenJTIs[key] = time.addingTimeInterval(2 * maxAge + 1)
        return .success(proof)
    }

    private func pruneJTIs(_ time: Date) {
        guard seenJTIs.count > 1024 else { return }
        seenJTIs = seenJTIs.filter { $0.value > time }
    }
}
