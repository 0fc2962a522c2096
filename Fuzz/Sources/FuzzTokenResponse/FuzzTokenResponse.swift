import ATProtoOAuth
import CFuzzDriver
import Foundation

/// The token endpoint's answer and the headers that come with any response: the first byte
/// picks the status, the rest is the body; the body's text doubles as a `WWW-Authenticate`
/// and `DPoP-Nonce` header value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenResponse(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes, count > 0 else { return 0 }
    let statuses = [200, 400, 401, 403, 500]
    let status = statuses[Int(bytes[0]) % statuses.count]
    let body = Data(bytes: bytes + 1, count: count - 1)
    let text = String(decoding: body, as: UTF8.self)
    let headers = [("Content-Type", "application/json"), ("WWW-Authenticate", text), ("DPoP-Nonce", text)]
    let response = HTTPResponse(status: status, headers: headers, body: body)

    if let token = try? TokenResponse.parse(response) {
        _ = token.description
        _ = try? token.validate(requestedScope: "atproto transition:generic", expectedSubject: nil)
        if let sub = token.sub, let did = try? DID(sub) {
            _ = try? token.validate(requestedScope: token.scope ?? "atproto", expectedSubject: did)
        }
    }
    if let error = OAuthErrorResponse.parse(response) {
        _ = error.asError(rule: "R20", context: "fuzz")
    }
    _ = DPoPNonce.fromResponse(response)
    _ = DPoPNonce.isAuthorizationServerChallenge(response)
    _ = DPoPNonce.isResourceServerChallenge(response)
    _ = DPoPNonce.resourceServerError(response)
    _ = WWWAuthenticate.parse(text)
    _ = OAuthScope.missing(in: response)
    return 0
}

/// `main` (SwiftPM aliases it to `FuzzTokenResponse_main`): runs libFuzzer with the arguments given.
@_cdecl("FuzzTokenResponse_main")
public func fuzzTokenResponseMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { fuzzTokenResponse($0, $1) }
}
