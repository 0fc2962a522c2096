import ATProtoOAuth
import CFuzzDriver
import Foundation

/// Session files read back from the account store (a file edited by hand, a newer format,
/// a torn write): decode, the stored DPoP key, and an encode that must decode again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSession(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes else { return 0 }
    let data = Data(bytes: bytes, count: count)
    guard let session = try? Session.decode(data) else { return 0 }
    _ = try? DPoPKey(privateJWK: session.dpopKey)
    _ = session.accessTokenExpires(within: 60, now: Date(timeIntervalSince1970: 1_700_000_000))
    let encoded = try? session.encoded()
    precondition(
        encoded.flatMap { try? Session.decode($0) } != nil,
        "a decoded session does not decode again after encoding")
    return 0
}

/// `main` (SwiftPM aliases it to `FuzzSession_main`): runs libFuzzer with the arguments given.
@_cdecl("FuzzSession_main")
public func fuzzSessionMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { fuzzSession($0, $1) }
}
