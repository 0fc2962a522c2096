import ATProtoOAuth
import CFuzzDriver
import Foundation

/// Scope strings as a token response grants them and as client metadata declares them.
/// A recognised scope must parse again, to an equal value, from its canonical spelling.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzScope(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)

    if let scope = try? OAuthScope(text) {
        precondition((try? OAuthScope(scope.description)) == scope, "OAuthScope does not round-trip")
        _ = scope.plainDescription
    }
    if let scope = try? OAuthScope(text, allowUnrecognized: true) {
        _ = scope.isRecognized
        _ = scope.unrecognizedReason
        _ = scope.description
        _ = scope.plainDescription
    }
    if let granted = try? ScopeSet(granted: text) {
        _ = granted.permissionLines
        _ = granted.description
        _ = granted.unrecognized
        let canonical = try? ScopeSet(granted: granted.canonical)
        precondition(canonical.map { $0.isEquivalent(to: granted) } == true, "ScopeSet does not round-trip")
        if let requested = try? ScopeSet(text) {
            for scope in requested.scopes { _ = granted.grants(scope) }
        }
        for scope in granted.scopes { _ = granted.grants(scope) }
    }
    return 0
}

/// `main` (SwiftPM aliases it to `FuzzScope_main`): runs libFuzzer with the arguments given.
@_cdecl("FuzzScope_main")
public func fuzzScopeMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { fuzzScope($0, $1) }
}
