import ATProtoOAuth
import CFuzzDriver
import Foundation

/// Handles, DIDs, NSIDs, at-identifiers and the login box's input: what a person types and
/// what DNS, `/.well-known/atproto-did` and DID documents claim. A parsed value must parse
/// again from its own `rawValue`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIdentifiers(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)

    if let handle = try? Handle(text) {
        precondition((try? Handle(handle.rawValue)) == handle, "Handle does not round-trip")
        _ = handle.isResolvable(development: false)
        _ = handle.isResolvable(development: true)
        _ = try? handle.requireResolvable(development: false)
    }
    if let did = try? DID(text) {
        precondition((try? DID(did.rawValue)) == did, "DID does not round-trip")
        _ = did.method
        _ = did.methodSpecificID
        _ = try? did.requireSupportedMethod()
        if did.isPLC, let directory = URL(string: "https://plc.directory") {
            _ = did.plcDocumentURL(directory: directory)
        }
        _ = try? did.webDocumentURL(allowLocalhostPort: false)
        _ = try? did.webDocumentURL(allowLocalhostPort: true)
    }
    if let nsid = try? NSID(text) {
        precondition((try? NSID(nsid.rawValue)) == nsid, "NSID does not round-trip")
    }
    if let identifier = try? ATIdentifier(text) {
        _ = identifier.description
    }
    for loopback in [false, true] {
        if let input = try? LoginInput(text, allowHTTPLoopback: loopback) {
            _ = input.typed
        }
    }
    _ = try? ClientMetadata.parseDevelopmentClientID(text)
    return 0
}

/// `main` (SwiftPM aliases it to `FuzzIdentifiers_main`): runs libFuzzer with the arguments given.
@_cdecl("FuzzIdentifiers_main")
public func fuzzIdentifiersMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { fuzzIdentifiers($0, $1) }
}
