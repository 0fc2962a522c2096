import ATProtoOAuth
import CFuzzDriver
import Foundation

/// The three metadata documents (authorization server, protected resource, client), each
/// decoded from the same bytes and, when it decodes, put through every profile check.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMetadata(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes else { return 0 }
    let data = Data(bytes: bytes, count: count)
    let response = HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: data)
    guard let issuer = URL(string: "https://bsky.social"),
        let pds = URL(string: "https://morel.us-east.host.bsky.network")
    else { return 0 }

    if let metadata = try? AuthorizationServerMetadata.decode(data) {
        _ = AuthorizationServerMetadata.responseChecks(response)
        _ = metadata.checks(issuer: issuer, allowHTTPLoopback: false)
        if let own = URL(string: metadata.issuer) {
            _ = metadata.checks(issuer: own, allowHTTPLoopback: true)
        }
        _ = metadata.protectedResourcesCheck(resource: pds.absoluteString)
        for field in ["token_endpoint", "pushed_authorization_request_endpoint", "authorization_endpoint"] {
            _ = try? metadata.endpointURL(field)
        }
    }
    if let metadata = try? ProtectedResourceMetadata.decode(data) {
        _ = ProtectedResourceMetadata.responseChecks(response)
        _ = metadata.checks(pds: pds, allowHTTPLoopback: false)
        _ = metadata.checks(pds: pds, allowHTTPLoopback: true)
        _ = try? metadata.authorizationServer()
        _ = try? metadata.authorizationServer(allowHTTPLoopback: true)
    }
    if let metadata = try? ClientMetadata.decode(data) {
        if let clientID = URL(string: metadata.clientID) {
            _ = metadata.checks(clientID: clientID, fetchedResponse: response, requestedScope: "atproto")
            _ = metadata.checks(clientID: clientID, fetchedResponse: nil, allowHTTPLoopback: true)
        }
        for uri in metadata.redirectURIs ?? [] { _ = metadata.allowsRedirectURI(uri) }
        _ = metadata.allowsRedirectURI("http://127.0.0.1:8080/callback")
    }
    return 0
}

/// `main` (SwiftPM aliases it to `FuzzMetadata_main`): runs libFuzzer with the arguments given.
@_cdecl("FuzzMetadata_main")
public func fuzzMetadataMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { fuzzMetadata($0, $1) }
}
