import ATProtoOAuth
import Foundation
import Testing

@testable import ATProtoAccountsTUI

/// An in-memory service with short delays, for driving the real runner by hand or under tmux.
final class FakeService: AccountsService, @unchecked Sendable {
    private let lock = NSLock()
    private var accounts: [AccountSummary]  // guarded by lock
    let suggestedHandles = ["alice.test", "bob.test"]

    init(accounts: [AccountSummary] = []) {
        self.accounts = accounts
    }

    private func withLock<T>(_ body: (inout [AccountSummary]) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&accounts)
    }

    func loadAccounts() async -> (accounts: [AccountSummary], problems: [StoreProblemSummary]) {
        (withLock { $0 }, [])
    }

    func discover(_ input: String) -> AsyncStream<DiscoveryProgress> {
        AsyncStream { continuation in
            let task = Task {
                for (index, step) in Sample.finishedSteps.enumerated() {
                    var running = step
                    running.status = .running
                    running.milliseconds = nil
                    continuation.yield(.step(running))
                    try? await Task.sleep(for: .milliseconds(300 + index * 100))
                    continuation.yield(.step(step))
                }
                continuation.yield(.checks(Sample.checks))
                continuation.yield(.finished(.success("\(input) → did:plc:4b7n3jqkq2zqyzaavx6sufeb")))
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    func login(_ input: String) -> AsyncStream<LoginProgress> {
        let reuse = withLock { list in list.first { $0.did == input || $0.handle == input } }
        return AsyncStream { continuation in
            let task = Task {
                continuation.yield(.step(Sample.step("resolve-handle", .running)))
                try? await Task.sleep(for: .milliseconds(300))
                continuation.yield(.step(Sample.step("resolve-handle", .ok, ms: 300, detail: "did:plc:\(input)")))
                continuation.yield(.listening(address: "http://127.0.0.1:54321/callback"))
                continuation.yield(.authorizationURL(Sample.authorizationURL))
                continuation.yield(.step(Sample.step("authorize", .running, detail: "waiting for the callback")))
                try? await Task.sleep(for: .seconds(2))
                guard !Task.isCancelled else { return continuation.finish() }
                var account = reuse ?? Sample.alice
                account.handle = input
                account.did = reuse?.did ?? "did:plc:\(input)"
                account.expiresAt = Date().addingTimeInterval(90)
                account.createdAt = Date()
                account.needsLogin = false
                account.isDefault = false
                let stored = account
                self.withLock { list in
                    list.removeAll { $0.did == stored.did }
                    list.append(stored)
                }
                continuation.yield(.finished(.success(stored)))
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    func refresh(_ did: String) async -> Result<AccountSummary, TUIServiceError> {
        try? await Task.sleep(for: .milliseconds(400))
        let refreshed: AccountSummary? = withLock { list in
            guard let index = list.firstIndex(where: { $0.did == did }) else { return nil }
            list[index].expiresAt = Date().addingTimeInterval(900)
            list[index].refreshedAt = Date()
            return list[index]
        }
        return refreshed.map { .success($0) } ?? .failure(TUIServiceError("\(did) is not stored", hint: "press a"))
    }

    func refreshAll(
        _ dids: [String], onResult: @escaping @Sendable (String, Result<AccountSummary, TUIServiceError>) -> Void
    ) async {
        for did in dids { onResult(did, await refresh(did)) }
    }

    func logout(_ did: String) async -> Result<Void, TUIServiceError> {
        withLock { $0.removeAll { $0.did == did } }
        return .success(())
    }

    func setDefault(_ did: String) async -> Result<Void, TUIServiceError> {
        withLock { list in
            for index in list.indices { list[index].isDefault = list[index].did == did }
        }
        return .success(())
    }

    func openInBrowser(_ url: URL) async {}
}

@Suite("Runner, by hand")
struct ManualRunnerTests {
    /// `TUI_MANUAL=1 swift test --skip-build --filter ManualRunnerTests` in a terminal (or tmux)
    /// runs the real ncurses loop against `FakeService`.
    @Test(
        "the real terminal loop with a fake service",
        .enabled(if: ProcessInfo.processInfo.environment["TUI_MANUAL"] == "1"))
    func manual() async throws {
        let runner = TUIRunner(
            service: FakeService(accounts: [Sample.alice, Sample.bob, Sample.carol, Sample.dave]),
            environment: ProcessInfo.processInfo.environment)
        try await runner.run()
    }

    @Test("without a terminal the runner refuses with a clear error")
    func noTerminal() async {
        guard isatty(STDIN_FILENO) == 0 || isatty(STDOUT_FILENO) == 0 else { return }
        await #expect(throws: TUIError.self) {
            try await TUIRunner(service: FakeService(), environment: [:]).run()
        }
    }
}
