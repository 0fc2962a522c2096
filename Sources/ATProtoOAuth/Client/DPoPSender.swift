import Foundation

/// Sends DPoP-signed requests (R22) and keeps the server nonces (R23).
///
/// A fresh proof is signed for every attempt because it must carry the server's current
/// nonce; when a server answers with a nonce challenge (400 `use_dpop_nonce` from an
/// authorization server, 401 `WWW-Authenticate: DPoP error="use_dpop_nonce"` from a resource
/// server) and supplied a nonce other than the one just sent, the request is retried exactly
/// once. A server that repeats the nonce it just refused would refuse the retry too, so its
/// answer is returned as is. Nonces are kept per origin so the authorization server's and the
/// PDS's never mix.
public struct DPoPSender: Sendable {
    public let transport: any HTTPTransport
    public let key: DPoPKey
    private let now: @Sendable () -> Date

    public init(transport: any HTTPTransport, key: DPoPKey, now: @escaping @Sendable () -> Date) {
        self.transport = transport
        self.key = key
        self.now = now
    }

    /// Sends `method url` with a DPoP proof, `ath` when `accessToken` is given.
    ///
    /// - Parameters:
    ///   - nonces: origin → latest nonce; read for the proof and updated from every response.
    ///   - makeRequest: builds the request around a proof (so bodies are built once, by the caller).
    public func send(
        method: String,
        url: URL,
        accessToken: String? = nil,
        nonces: inout [String: String],
        makeRequest: (_ proof: String) -> HTTPRequest
    ) async throws -> HTTPResponse {
        let origin = url.originString ?? url.absoluteString
        var attempt = 0
        while true {
            attempt += 1
            let sent = nonces[origin]
            let proof = try DPoPProof.make(
                key: key, method: method, url: url, nonce: sent, accessToken: accessToken, now: now())
            let response = try await transport.send(makeRequest(proof))
            let fresh = DPoPNonce.fromResponse(response)
            if let fresh { nonces[origin] = fresh }
            let challenged =
                DPoPNonce.isAuthorizationServerChallenge(response) || DPoPNonce.isResourceServerChallenge(response)
            if challenged, let fresh, fresh != sent, attempt == 1 { continue }
            return response
        }
    }
}
