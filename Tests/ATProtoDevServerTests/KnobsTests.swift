import ATProtoDevServer
import ATProtoOAuth
import Foundation
import Testing

/// The knobs tests and benchmarks turn: request log, injected failures, latency.
@Suite("Dev network knobs")
struct KnobsTests {
    @Test("The request log records origin, method, path without query, status and DPoP jkt")
    func requestLog() async throws {
        try await DevHarness.with(.init(autoApprove: true)) { harness in
            let login = try await harness.login()
            let log = await harness.network.requestLog()
            let tokenEntry = try #require(log.last { $0.path == "/oauth/token" })
            #expect(tokenEntry.origin == harness.info.entryway)
            #expect(tokenEntry.method == "POST")
            #expect(tokenEntry.status == 200)
            #expect(tokenEntry.dpopJKT == login.key.thumbprint)
            let authorize = try #require(log.first { $0.path == "/oauth/authorize" })
            #expect(authorize.status == 302)
            #expect(authorize.dpopJKT == nil)
            #expect(log.contains { $0.path == "/oauth/par" && $0.status == 400 })
            await harness.network.clearRequestLog()
            #expect(await harness.network.requestLog().isEmpty)
        }
    }

    @Test("failNextRequests(2, .status500) fails exactly two requests, on any part")
    func injectedFailures() async throws {
        try await DevHarness.with { harness in
            await harness.network.failNextRequests(2, mode: .status500)
            let first = try await harness.get(harness.url(harness.plc, "/did:plc:alicetestdevaccount2222a"))
            let second = try await harness.get(
                harness.url(harness.entrywayPDS, "/.well-known/oauth-protected-resource"))
            let third = try await harness.get(harness.url(harness.plc, "/did:plc:alicetestdevaccount2222a"))
            #expect(first.status == 500)
            #expect(second.status == 500)
            #expect(third.status == 200)
        }
    }

    @Test("failNextRequests(1, .hang) makes the client time out")
    func hang() async throws {
        try await DevHarness.with { harness in
            await harness.network.failNextRequests(1, mode: .hang)
            let started = ContinuousClock.now
            await #expect(throws: (any Error).self) {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        _ = try await harness.get(harness.url(harness.plc, "/did:plc:alicetestdevaccount2222a"))
                    }
                    group.addTask {
                        try await Task.sleep(for: .milliseconds(500))
                        throw CancellationError()
                    }
                    defer { group.cancelAll() }
                    try await group.next()
                }
            }
            // Only "not hung" (a hanging answer never ends by itself); a loaded machine once
            // starved a whole test process for 28 s, so the bound is generous.
            #expect(ContinuousClock.now - started < .seconds(60))
        }
    }

    @Test("setLatency delays every response")
    func latency() async throws {
        try await DevHarness.with { harness in
            await harness.network.setLatency(.milliseconds(300))
            let started = ContinuousClock.now
            _ = try await harness.get(harness.url(harness.plc, "/did:plc:alicetestdevaccount2222a"))
            #expect(ContinuousClock.now - started >= .milliseconds(300))
        }
    }
}
