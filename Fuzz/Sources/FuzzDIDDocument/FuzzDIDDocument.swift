import ATProtoOAuth
import CFuzzDriver
import Foundation

/// DID documents from a PLC directory or a `did:web` host: decode, the claimed handle, the
/// PDS endpoint (both modes), and a re-encode that must decode again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDIDDocument(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes else { return 0 }
    let data = Data(bytes: bytes, count: count)
    // The expected DID is the one the input names (so the id check passes when it can),
    // falling back to a fixed one.
    let named = (try? JSONValue.parse(data, source: "fuzz"))?["id"]?.stringValue.flatMap { try? DID($0) }
    guard let expected = named ?? (try? DID("did:plc:ewvi7nxzyoun6zhxrhs64oiz")) else { return 0 }
    guard let document = try? DIDDocument.decode(data, expectedDID: expected) else { return 0 }
    _ = document.did
    if let handle = document.handle { _ = document.verifies(handle) }
    _ = try? document.pdsEndpoint(allowHTTPLoopback: false)
    _ = try? document.pdsEndpoint(allowHTTPLoopback: true)
    let encoded = try? JSONEncoder().encode(document)
    precondition(
        encoded.flatMap { try? DIDDocument.decode($0, expectedDID: expected) } != nil,
        "a decoded DID document does not decode again after encoding")
    return 0
}

/// `main` (SwiftPM aliases it to `FuzzDIDDocument_main`): runs libFuzzer with the arguments given.
@_cdecl("FuzzDIDDocument_main")
public func fuzzDIDDocumentMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { fuzzDIDDocument($0, $1) }
}
