import ATProtoOAuth
import Foundation

/// Times a step and publishes its `running` and final `FlowStep`s, so every step reports the
/// same way and a failure is never left showing "running".
struct StepReporter: Sendable {
    let publish: @Sendable (FlowStep) -> Void

    func pending(_ names: [String]) {
        for name in names { publish(FlowStep(name: name)) }
    }

    func skip(_ name: String, _ detail: String) {
        publish(FlowStep(name: name, status: .skipped, detail: detail))
    }

    /// Runs `body`; its second result is the step's detail line.
    func run<T: Sendable>(
        _ name: String, target: String? = nil, _ body: () async throws -> (T, String)
    ) async throws -> T {
        publish(FlowStep(name: name, status: .running, target: target))
        let start = ContinuousClock.now
        func elapsed() -> Int { (ContinuousClock.now - start).wholeMilliseconds }
        do {
            let (value, detail) = try await body()
            publish(FlowStep(name: name, status: .ok, milliseconds: elapsed(), target: target, detail: detail))
            return value
        } catch {
            publish(
                FlowStep(name: name, status: .failed, milliseconds: elapsed(), target: target, detail: "\(error)"))
            throw error
        }
    }
}
