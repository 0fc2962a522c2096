import Foundation
import Testing

@testable import ATProtoOAuth

/// `CriticalSection` (R24): the count a shutdown waits on, the gate that keeps new sections
/// from starting, and the shield against cancellation. Each test has a gate of its own (the
/// process-wide one is shared with every refresh in this test process).
@Suite("critical sections")
struct CriticalSectionTests {
    /// A latch a section body waits on, opened by the test.
    final class Latch: @unchecked Sendable {
        private let lock = NSLock()
        private var open = false

        func release() { lock.withLock { open = true } }

        var isOpen: Bool { lock.withLock { open } }

        func wait() async {
            while !isOpen { try? await Task.sleep(for: .milliseconds(2)) }
        }
    }

    /// Polls `condition` for up to 10 s (outcomes, not timings).
    func eventually(_ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return condition()
    }

    @Test("A section is counted from start to end; waiting for idle times out while one runs")
    func countsAndWaits() async throws {
        let gate = CriticalSectionGate()
        let latch = Latch()
        #expect(gate.waitUntilIdle(timeout: .zero))
        let running = Task {
            try await gate.run {
                await latch.wait(); return 7
            }
        }
        #expect(await eventually { gate.count == 1 })
        #expect(!gate.waitUntilIdle(timeout: .milliseconds(20)))
        #expect(!(await gate.idle(timeout: .milliseconds(20))))
        latch.release()
        #expect(await gate.idle(timeout: .seconds(10)))
        #expect(try await running.value == 7)
        #expect(gate.count == 0)
    }

    @Test("Cancelling the caller does not cut a section short: its body runs to the end")
    func shieldedFromCancellation() async throws {
        let gate = CriticalSectionGate()
        let latch = Latch()
        let finished = Latch()
        let caller = Task {
            try await gate.run {
                await latch.wait()
                // A cancelled task would see it here, and an HTTP client would abort its request.
                let cancelled = Task.isCancelled
                finished.release()
                return cancelled
            }
        }
        #expect(await eventually { gate.count == 1 })
        caller.cancel()
        latch.release()
        #expect(try await caller.value == false)
        await finished.wait()
        #expect(gate.count == 0)
    }

    @Test("A thrown error ends the section too")
    func errorLeaves() async {
        struct Failure: Error {}
        let gate = CriticalSectionGate()
        await #expect(throws: Failure.self) { try await gate.run { () async throws -> Int in throw Failure() } }
        #expect(gate.count == 0)
    }

    @Test("Closed: sections in flight go on, new ones wait until reopened; the hook runs before each")
    func closeParksNewSections() async throws {
        let gate = CriticalSectionGate()
        let hookCalls = Latch()
        gate.setHook { hookCalls.release() }
        let latch = Latch()
        let first = Task {
            try await gate.run {
                await latch.wait(); return 1
            }
        }
        #expect(await eventually { gate.count == 1 })
        await hookCalls.wait()
        gate.setClosed(true)
        let started = Latch()
        let second = Task {
            try await gate.run {
                started.release(); return 2
            }
        }
        latch.release()
        #expect(try await first.value == 1)
        #expect(await gate.idle(timeout: .seconds(10)))
        #expect(gate.count == 0, "the parked section has not started")
        gate.setClosed(false)
        await started.wait()
        #expect(try await second.value == 2)
        #expect(gate.count == 0)
    }
}
