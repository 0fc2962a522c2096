import ATProtoDiscovery
import ATProtoOAuth
import Foundation
import Testing

/// Runs discovery expecting it to fail; returns the error and the published steps. Also
/// checks the contract every failure keeps: the failing step was published as `failed`.
func discoveryFailure(
    _ discovery: Discovery, _ typed: String, allowHTTPLoopback: Bool = false,
    sourceLocation: SourceLocation = #_sourceLocation
) async -> DiscoveryError? {
    let log = StepLog()
    do {
        let input = try Discovery.input(typed, allowHTTPLoopback: allowHTTPLoopback)
        let result = try await discovery.discover(input) { log.append($0) }
        Issue.record("discovery of \(typed) unexpectedly succeeded: \(result.issuer)", sourceLocation: sourceLocation)
        return nil
    } catch let error as DiscoveryError {
        if !log.all.isEmpty {
            let last = log.all.last { $0.name == error.step.rawValue }
            #expect(
                last?.status == .failed, "step \(error.step) not published as failed", sourceLocation: sourceLocation)
        }
        return error
    } catch {
        Issue.record("unexpected error type: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Asserts the failing step, code and rule (and optionally a fragment of the reason).
func expectFailure(
    _ error: DiscoveryError?, step: DiscoveryStepName, code: DiscoveryError.Code, rule: String?,
    field: String? = nil, reasonContains fragment: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let error else {
        Issue.record("expected a DiscoveryError", sourceLocation: sourceLocation)
        return
    }
    #expect(error.step == step, "\(error)", sourceLocation: sourceLocation)
    #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    #expect(error.rule == rule, "\(error)", sourceLocation: sourceLocation)
    if let field { #expect(error.field == field, "\(error)", sourceLocation: sourceLocation) }
    if let fragment {
        #expect(error.description.contains(fragment), "\(error)", sourceLocation: sourceLocation)
    }
}
