import ATProtoAccountStore
import ATProtoDevServer
import ATProtoDiscovery
import ATProtoHTTP
import ATProtoOAuth
import Foundation
import Testing

@testable import ATProtoOAuthLogin

/// `login --paste` in the library: pasted callbacks are judged by the listener's own judge
/// (R18) and race the listener; the first delivery wins.
@Suite("Pasted callbacks (headless login, R18)", .serialized)
struct PastedCallbackTests {
    static let state = "state-of-this-login-0123456789abcdefghijklmno"
    static let issuer = "https://as.example"

    // MARK: reading a pasted line

    @Test(
        "A full address, one without its scheme, a query with or without '?' all give the query; a fragment is dropped",
        arguments: [
            "http://127.0.0.1:53172/callback?state=s&iss=https%3A%2F%2Fas.example&code=c",
            "  127.0.0.1:53172/callback?state=s&iss=https%3A%2F%2Fas.example&code=c\n",
            "?state=s&iss=https%3A%2F%2Fas.example&code=c",
            "state=s&iss=https%3A%2F%2Fas.example&code=c#fragment",
        ])
    func readsAddressesAndQueries(_ line: String) throws {
        let query = try PastedCallback.query(line, callbackPath: "/callback").get()
        #expect(query.map(\.0) == ["state", "iss", "code"])
        #expect(query.map(\.1) == ["s", "https://as.example", "c"])
    }

    @Test(
        "An address of another path, junk, or nothing is no callback; the reason never quotes the line",
        arguments: [
            "http://127.0.0.1:53172/elsewhere?state=s&code=secret-code",
            "hello secret-code",
            "https://example.com/",
            "   ",
            "?",
        ])
    func refusesWhatIsNoCallback(_ line: String) {
        guard case .failure(let problem) = PastedCallback.query(line, callbackPath: "/callback") else {
            Issue.record("\(line) was read as a callback")
            return
        }
        #expect(!problem.reason.contains("secret-code"))
    }

    // MARK: the listener's judge

    @Test("R18: a paste without this login's state is ignored and the wait goes on; the right one is delivered")
    func listenerJudgesPastes() async throws {
        let listener = LoopbackListener()
        let redirectURI = try await listener.start { query in
            LoginFlow.judge(query, expectedState: Self.state, expectedIssuer: Self.issuer)
        }
        defer { Task { await listener.stop() } }
        let wait = Task { try await listener.waitForCallback(timeout: .seconds(20)) }

        let forged = await listener.submitPasted(
            redirectURI.absoluteString + "?state=forged&iss=https%3A%2F%2Fas.example&code=stolen-code")
        guard case .ignore(let reason) = forged else {
            Issue.record("a forged paste was not ignored: \(forged)")
            return
        }
        #expect(reason.contains("R18") && !reason.contains("stolen-code"))
        #expect(await listener.deliveredSource == nil)

        let real = "state=\(Self.state)&iss=https%3A%2F%2Fas.example&code=real-code"
        #expect(await listener.submitPasted(real) == .accept)
        let delivered = try await wait.value
        #expect(delivered.first { $0.0 == "code" }?.1 == "real-code")
        #expect(await listener.deliveredSource == .pasted)

        // One callback only: after a paste, the browser's own request is answered 400.
        let transport = try HTTPClientTransport(
            configuration: .init(allowHTTPLoopback: true, connectTimeout: .seconds(60), timeout: .seconds(60)))
        let late = try await transport.send(
            HTTPRequest(method: "GET", url: try #require(URL(string: redirectURI.absoluteString + "?" + real))))
        try await transport.shutdown()
        #expect(late.status == 400)
    }

    @Test("R18: a paste with this login's state and a wrong iss is refused and ends the wait")
    func wrongIssuerPasteEndsTheWait() async throws {
        let listener = LoopbackListener()
        _ = try await listener.start { query in
            LoginFlow.judge(query, expectedState: Self.state, expectedIssuer: Self.issuer)
        }
        defer { Task { await listener.stop() } }
        let verdict = await listener.submitPasted("state=\(Self.state)&iss=https%3A%2F%2Fother.example&code=c")
        guard case .refuse = verdict else {
            Issue.record("a wrong-iss paste was not refused: \(verdict)")
            return
        }
        _ = try await listener.waitForCallback(timeout: .seconds(5))
        #expect(await listener.deliveredSource == .pasted)
    }

    // MARK: a whole login over the dev network

    @Test("A login whose browser cannot reach the listener completes from the pasted address, after a refused paste")
    func loginFromPastedAddress() async throws {
        let network = DevNetwork(configuration: DevNetworkConfiguration())
        let info = try await network.start()
        let transport = try HTTPClientTransport(
            configuration: .init(allowHTTPLoopback: true, connectTimeout: .seconds(60), timeout: .seconds(60)))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "atproto-paste-tests-\(UUID().uuidString)", isDirectory: true)
        let outcome: Result<Void, any Error>
        do {
            let store = try AccountStore(directory: directory)
            let discovery = Discovery(
                transport: transport, txtResolver: try ResolvTXTResolver(nameserver: info.dns, timeout: .seconds(2)),
                configuration: DiscoveryConfiguration(
                    plcDirectory: try #require(URL(string: info.plc)), allowHTTPLoopback: true),
                cache: IdentityCache())
            let (lines, paste) = AsyncStream.makeStream(of: String.self)
            let ignored = Reasons()
            // The browser on "another machine": approves, and the person pastes where it ended.
            let flow = LoginFlow(
                transport: transport, discovery: discovery,
                configuration: LoginConfiguration(
                    callbackTimeout: .seconds(20), allowHTTPLoopback: true,
                    openBrowser: { url in
                        Task {
                            let requestURI = URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems?
                                .first { $0.name == "request_uri" }?.value
                            guard let requestURI, let callback = await network.approve(requestURI: requestURI) else {
                                paste.finish()
                                return
                            }
                            paste.yield("not a callback at all")
                            paste.yield(
                                callback.absoluteString.replacingOccurrences(
                                    of: "state=", with: "state=forged-"))
                            paste.yield(callback.absoluteString)
                        }
                        return .launched(command: "elsewhere")
                    }))
            let steps = StepDetails()
            let session = try await flow.run(
                try LoginInput("alice.test", allowHTTPLoopback: true),
                pasted: PastedCallbacks(lines: lines) { ignored.append($0) },
                save: { session in
                    try await store.withLock(session.did) {
                        let previous = try? store.load(session.did)
                        try store.save(session)
                        return previous
                    }
                },
                progress: { event in
                    if case .step(let step) = event { steps.record(step) }
                })
            let alice = try #require(info.accounts.first { $0.handle == "alice.test" })
            #expect(session.did.rawValue == alice.did)
            #expect(ignored.values.count == 2, "\(ignored.values)")
            #expect(ignored.values.last?.contains("R18") == true)
            #expect(steps.detail(of: .callback)?.hasPrefix("pasted:") == true)
            #expect(store.loadAll().sessions.map(\.did.rawValue) == [alice.did])
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        try await transport.shutdown()
        await network.stop()
        try? FileManager.default.removeItem(at: directory)
        try outcome.get()
    }

    private final class Reasons: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [String] = []
        func append(_ reason: String) { lock.withLock { list.append(reason) } }
        var values: [String] { lock.withLock { list } }
    }

    private final class StepDetails: @unchecked Sendable {
        private let lock = NSLock()
        private var details: [String: String] = [:]
        func record(_ step: FlowStep) { lock.withLock { details[step.name] = step.detail } }
        func detail(of name: LoginStepName) -> String? { lock.withLock { details[name.rawValue] } }
    }
}
