import ATProtoOAuth
import CFuzzDriver
import Foundation

/// The redirect's query string as the loopback listener (or a pasted URL) delivers it:
/// form decoding (`FormEncoding.decode` is `package`; `AuthorizationCallback(queryString:)`
/// is its public entry point), then the R18 checks against a fixed state and issuer and
/// against the state and issuer the input itself names.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCallback(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    let callback = AuthorizationCallback(queryString: text)
    _ = callback.answers(expectedState: "state-123")
    _ = try? callback.validate(expectedState: "state-123", expectedIssuer: "https://bsky.social")
    let state = callback.query.first { $0.0 == "state" }?.1 ?? ""
    let issuer = callback.query.first { $0.0 == "iss" }?.1 ?? ""
    if callback.answers(expectedState: state),
        let code = try? callback.validate(expectedState: state, expectedIssuer: issuer)
    {
        precondition(
            callback.query.contains { $0.0 == "code" && $0.1 == code }, "validate returned a code not in the query")
    }
    return 0
}

/// `main` (SwiftPM aliases it to `FuzzCallback_main`): runs libFuzzer with the arguments given.
@_cdecl("FuzzCallback_main")
public func fuzzCallbackMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { fuzzCallback($0, $1) }
}
