import CFuzzDriver

/// DNS responses as `res_nquery` hands them to the TXT resolver (`_atproto.<handle>`): the
/// message parser must throw, never crash or loop, on any bytes. `DNSMessage.swift` here is
/// a symlink to `Sources/ATProtoHTTP/DNS/DNSMessage.swift` (internal to ATProtoHTTP).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDNS(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes else { return 0 }
    let message = try? DNSMessage(parsing: Array(UnsafeBufferPointer(start: bytes, count: count)))
    if let message {
        precondition(message.responseCode >= 0 && message.responseCode < 16, "RCODE out of range")
    }
    return 0
}

/// `main` (SwiftPM aliases it to `FuzzDNS_main`): runs libFuzzer with the arguments given.
@_cdecl("FuzzDNS_main")
public func fuzzDNSMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { fuzzDNS($0, $1) }
}
