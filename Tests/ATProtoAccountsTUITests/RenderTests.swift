import ATProtoOAuth
import Foundation
import Testing

@testable import ATProtoAccountsTUI

/// Golden frames: the view drawn into a MemoryScreen, compared with `Golden/<name>-<cols>x<rows>.txt`.
/// Run with `UPDATE_GOLDEN=1` to rewrite them after an intended change (then review the diff).
@Suite("Render: golden frames at 80×24 and 60×20")
struct RenderTests {
    static let sizes = [(rows: 24, cols: 80), (rows: 20, cols: 60)]

    static func scenarios() -> [(String, Model)] {
        var needsLogin = Sample.model(
            [Sample.alice, Sample.dave],
            problems: [StoreProblemSummary(file: "did:plc:broken.json", reason: "not valid JSON at byte 17")])
        needsLogin = run(needsLogin, keys: [.char("j")]).0

        var discoveryRunning = run(Sample.model(), keys: [.char("d")] + typing("bob.test") + [.enter]).0
        discoveryRunning =
            run(
                discoveryRunning,
                [
                    .discovery(.step(Sample.finishedSteps[0])),
                    .discovery(.step(Sample.finishedSteps[1])),
                    .discovery(
                        .step(
                            Sample.step(
                                "resource-metadata", .running,
                                target: "https://pds.bob.test/.well-known/oauth-protected-resource"))),
                    .discovery(.step(Sample.step("auth-server-metadata", .pending))),
                ]
            ).0

        var discoveryFinished = run(Sample.model(), keys: [.char("d")] + typing("bob.test") + [.enter]).0
        discoveryFinished =
            run(
                discoveryFinished,
                Sample.finishedSteps.map { .discovery(.step($0)) } + [
                    .discovery(.checks(Sample.checks)),
                    .discovery(
                        .finished(.success("bob.test → did:plc:4b7n3jqkq2zqyzaavx6sufeb → https://auth.bob.test"))),
                ]
            ).0
        discoveryFinished = run(discoveryFinished, keys: [.char("j")]).0

        var loginWaiting = run(Sample.model([]), keys: [.char("a")] + typing("alice.test") + [.enter]).0
        loginWaiting =
            run(
                loginWaiting,
                [
                    .login(
                        .step(Sample.step("resolve-handle", .ok, ms: 11, detail: "did:plc:ewvi7nxzyoun6zhxrhs64oiz"))),
                    .login(.step(Sample.step("resolve-did", .ok, ms: 27, detail: "PDS https://pds.alice.test"))),
                    .login(
                        .step(
                            Sample.step("auth-server-metadata", .ok, ms: 15, detail: "issuer https://auth.alice.test"))),
                    .login(.step(Sample.step("par", .ok, ms: 22, detail: "request_uri received (DPoP nonce retried)"))),
                    .login(.listening(address: "http://127.0.0.1:54321/callback")),
                    .login(.authorizationURL(Sample.authorizationURL)),
                    .login(.step(Sample.step("authorize", .running, detail: "waiting for the callback"))),
                ]
            ).0

        // Granular permissions (R28), shown in words in the details pane.
        var granular = Sample.bob
        granular.scope =
            "atproto repo:app.bsky.feed.post?action=create&action=delete "
            + "rpc:app.bsky.feed.getTimeline?aud=did:web:api.bsky.app%23bsky_appview"
        let permissions = run(Sample.model([Sample.alice, granular]), keys: [.char("j")]).0

        return [
            ("accounts-empty", Sample.model([])),
            ("accounts-permissions", permissions),
            ("accounts-three", Sample.model()),
            ("accounts-needs-login", needsLogin),
            ("discovery-running", discoveryRunning),
            ("discovery-finished", discoveryFinished),
            ("login-waiting", loginWaiting),
            ("help", run(Sample.model(), keys: [.char("?")]).0),
        ]
    }

    static func frame(_ model: Model, rows: Int, cols: Int) -> String {
        var sized = model
        sized.rows = rows
        sized.cols = cols
        var screen = MemoryScreen(rows: rows, cols: cols)
        view(sized, into: &screen)
        return screen.frame()
    }

    @Test("golden frames", arguments: scenarios().map(\.0))
    func golden(_ name: String) throws {
        let model = try #require(Self.scenarios().first { $0.0 == name }?.1)
        for size in Self.sizes {
            let actual = Self.frame(model, rows: size.rows, cols: size.cols)
            let file = "\(name)-\(size.cols)x\(size.rows)"
            if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
                let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
                    "Golden")
                try actual.write(to: directory.appendingPathComponent("\(file).txt"), atomically: true, encoding: .utf8)
                continue
            }
            guard let url = Bundle.module.url(forResource: file, withExtension: "txt", subdirectory: "Golden") else {
                Issue.record("missing golden frame Golden/\(file).txt — run with UPDATE_GOLDEN=1 to create it")
                continue
            }
            let expected = try String(contentsOf: url, encoding: .utf8)
            if expected != actual {
                Issue.record("frame \(file) differs from its golden file:\n\(Self.diff(expected, actual))")
            }
        }
    }

    /// A line diff: `-` the golden line, `+` the rendered one.
    static func diff(_ expected: String, _ actual: String) -> String {
        let old = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let new = actual.split(separator: "\n", omittingEmptySubsequences: false)
        var out: [String] = []
        for index in 0..<max(old.count, new.count) {
            let a = index < old.count ? String(old[index]) : "<none>"
            let b = index < new.count ? String(new[index]) : "<none>"
            if a != b { out += ["line \(index + 1):", "- \(a)", "+ \(b)"] }
        }
        return out.joined(separator: "\n")
    }

    @Test("every frame fits: no line wider than the screen, at every size")
    func fits() {
        for (name, model) in Self.scenarios() {
            for size in Self.sizes + [(rows: 12, cols: 40), (rows: 50, cols: 160)] {
                let lines = Self.frame(model, rows: size.rows, cols: size.cols).split(
                    separator: "\n", omittingEmptySubsequences: false)
                #expect(lines.count == size.rows + 1, "\(name)")
                for line in lines { #expect(DisplayWidth.of(String(line)) <= size.cols, "\(name): \(line)") }
            }
        }
    }

    @Test("the countdown ticks with the clock and the badge turns to expired")
    func countdownTicks() {
        let model = Sample.model([Sample.bob])
        let before = Self.frame(model, rows: 24, cols: 80)
        #expect(before.contains("expiring       0:42"))
        let later = update(model, .tick(Sample.now.addingTimeInterval(50))).0
        let after = Self.frame(later, rows: 24, cols: 80)
        #expect(after.contains("expired       -0:08"))
    }

    @Test("a step's document renders with its position")
    func documentFrame() {
        var model = run(Sample.model(), keys: [.char("d")] + typing("bob.test") + [.enter]).0
        model = run(model, Sample.finishedSteps.map { .discovery(.step($0)) }).0
        model = run(model, keys: [.char("j"), .enter]).0
        let frame = Self.frame(model, rows: 24, cols: 80)
        #expect(frame.contains("Document · resolve-did"))
        #expect(frame.contains("\"serviceEndpoint\" : \"https://pds.bob.test\""))
        #expect(frame.contains("lines 1–"))
    }

    @Test("the banner says what went wrong and what to do")
    func bannerFrame() {
        var model = Sample.model()
        model.banner = Banner(message: "refresh of bob.test failed: invalid_grant", hint: "press L to log in again")
        let frame = Self.frame(model, rows: 24, cols: 80)
        #expect(frame.contains("✗ refresh of bob.test failed: invalid_grant"))
        #expect(frame.contains("→ press L to log in again"))
    }
}

@Suite("Render: 1,000 accounts")
struct RenderPerformanceTests {
    @Test("1,000 accounts load, the End key reaches the last one, and it is drawn")
    func thousandAccounts() {
        let accounts = (0..<1_000).map { index in
            var account = Sample.bob
            account.did = "did:plc:account\(index)"
            account.handle = "user\(index).test"
            return account
        }
        // How fast is the benchmarks' business (atproto-oauth-bench --only tui), not a test's.
        var model = Model(now: Sample.now, rows: 24, cols: 80, suggestedHandles: Sample.handles)
        model = update(model, .accountsLoaded(accounts: accounts, problems: [])).0
        model = update(model, .key(.end)).0
        var screen = MemoryScreen(rows: 24, cols: 80)
        view(model, into: &screen)
        #expect(screen.frame().contains("user999.test"))
    }
}
