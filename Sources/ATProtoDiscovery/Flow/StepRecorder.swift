import ATProtoOAuth
import Foundation

/// Holds the live state of every step and publishes each change, in order.
///
/// Steps change from concurrent child tasks (the DNS and HTTPS handle look-ups report their
/// sub-results when they arrive), so the state sits behind a lock and the progress callback
/// is called while holding it: that is what keeps the published sequence in order.
/// The callback must therefore be quick and must not call back into discovery (yielding to
/// an `AsyncStream` continuation is both).
final class StepRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var steps: [DiscoveryStepName: FlowStep] = [:]
    private var started: [DiscoveryStepName: ContinuousClock.Instant] = [:]
    private let publish: @Sendable (FlowStep) -> Void

    init(publish: @escaping @Sendable (FlowStep) -> Void) {
        self.publish = publish
    }

    /// Publishes `pending` for every step, in order.
    func announceAll() {
        for name in DiscoveryStepName.allCases { update(name) { _ in } }
    }

    func start(_ name: DiscoveryStepName, target: String? = nil, detail: String = "") {
        lock.withLock { started[name] = ContinuousClock.now }
        update(name) {
            $0.status = .running
            $0.target = target
            $0.detail = detail
        }
    }

    func setTarget(_ name: DiscoveryStepName, _ target: String) {
        update(name) { $0.target = target }
    }

    func addSubresult(_ name: DiscoveryStepName, _ line: String) {
        update(name) { $0.subresults.append(line) }
    }

    func finish(
        _ name: DiscoveryStepName, _ status: FlowStep.Status, detail: String, target: String? = nil,
        document: JSONValue? = nil
    ) {
        // A step skipped without ever running has no duration.
        let begin = lock.withLock { started[name] }
        let milliseconds = begin.map { Self.milliseconds(ContinuousClock.now - $0) }
        update(name) {
            $0.status = status
            $0.detail = detail
            $0.milliseconds = milliseconds
            if let target { $0.target = target }
            if let document { $0.document = document }
        }
    }

    /// Marks the running step (if any) failed with the error's reason.
    func fail(_ error: DiscoveryError) {
        let current = lock.withLock { steps[error.step]?.status }
        guard current != .ok && current != .skipped else { return }
        finish(error.step, .failed, detail: error.detail, target: error.target)
    }

    /// Steps that never ran because an earlier step failed stay `pending`; the final list
    /// shows them as such.
    var snapshot: [FlowStep] {
        lock.withLock { DiscoveryStepName.allCases.compactMap { steps[$0] } }
    }

    func status(_ name: DiscoveryStepName) -> FlowStep.Status? {
        lock.withLock { steps[name]?.status }
    }

    private func update(_ name: DiscoveryStepName, _ change: (inout FlowStep) -> Void) {
        lock.withLock {
            var step = steps[name] ?? FlowStep(name: name.rawValue)
            change(&step)
            steps[name] = step
            publish(step)
        }
    }

    static func milliseconds(_ duration: Duration) -> Int { duration.wholeMilliseconds }
}
