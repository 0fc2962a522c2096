import ATProtoOAuth
import ATProtoOAuthClient
import ATProtoOAuthTesting
import Foundation
import Testing

@testable import ATProtoAccountsTUI

/// The TUI stays current: a store change reloads (keeping the selection), `y`/`Y` copy the
/// selected account's DID/handle with OSC 52, and the details pane shows the permissions in words.
@Suite("Live updates, copy keys and permissions in the details pane")
struct LiveUpdateAndCopyTests {
    // MARK: update

    @Test("storeChanged reloads the accounts and changes nothing else")
    func storeChangedReloads() {
        let model = run(Sample.model(), keys: [.char("j")]).0
        let (next, effects) = update(model, .storeChanged)
        #expect(effects == [.loadAccounts])
        #expect(next == model)
    }

    @Test("a reload after another process's login keeps the selected account selected")
    func reloadKeepsSelection() {
        let selectedBob = run(Sample.model(), keys: [.char("j")]).0
        #expect(selectedBob.selectedAccount?.did == Sample.bob.did)
        // Another terminal logged dave in; the store lists him first.
        let reloaded = update(
            selectedBob, .accountsLoaded(accounts: [Sample.dave, Sample.alice, Sample.bob, Sample.carol], problems: [])
        ).0
        #expect(reloaded.selectedAccount?.did == Sample.bob.did)
        #expect(reloaded.selection == 2)
        // Another terminal logged bob out: the selection stays in range.
        let loggedOut = update(reloaded, .accountsLoaded(accounts: [Sample.dave, Sample.alice], problems: [])).0
        #expect(loggedOut.selection == 1)
        #expect(loggedOut.selectedAccount?.did == Sample.alice.did)
    }

    @Test("y copies the selected account's DID, Y its handle, each with a status line")
    func copyKeys() {
        let model = run(Sample.model(), keys: [.char("j")]).0
        let (copiedDID, didEffects) = run(model, keys: [.char("y")])
        #expect(didEffects == [.copyToClipboard(Sample.bob.did)])
        #expect(copiedDID.status == "Copied DID \(Sample.bob.did)")
        let (copiedHandle, handleEffects) = run(model, keys: [.char("Y")])
        #expect(handleEffects == [.copyToClipboard("bob.test")])
        #expect(copiedHandle.status == "Copied handle bob.test")
        // The next key clears the status line.
        #expect(run(copiedHandle, keys: [.char("j")]).0.status == nil)
    }

    @Test("Y on an account without a handle copies nothing and says so; y and Y with no account")
    func copyWithoutHandleOrAccount() {
        var account = Sample.alice
        account.handle = nil
        let (model, effects) = run(Sample.model([account]), keys: [.char("Y")])
        #expect(effects.isEmpty)
        #expect(model.status == "\(account.did) has no handle — y copies its DID")
        for key in ["y", "Y"] {
            let (empty, none) = run(Sample.model([]), keys: [.char(Character(key))])
            #expect(none.isEmpty)
            #expect(empty.status == "No account selected — press a to add one")
        }
    }

    @Test("y still answers the logout question (it confirms, it does not copy)")
    func yConfirmsLogout() {
        let (model, effects) = run(Sample.model(), keys: [.char("x"), .char("y")])
        #expect(effects == [.logout(Sample.alice.did)])
        #expect(model.status == "Logging out alice.test…")
    }

    // MARK: details pane

    @Test("R28: the details pane lists the granted permissions in words, wrapped to the pane")
    func permissionsInDetails() {
        var account = Sample.alice
        account.scope =
            "atproto repo:app.bsky.feed.post?action=create&action=delete "
            + "rpc:app.bsky.feed.getTimeline?aud=did:web:api.bsky.app%23bsky_appview transition:generic"
        let frame = RenderTests.frame(Sample.model([account]), rows: 30, cols: 80)
        let lines = frame.split(separator: "\n").map(String.init)
        let scopes = lines.firstIndex { $0.hasPrefix(" Scopes ") }
        #expect(scopes != nil, "no Scopes row:\n\(frame)")
        let expected = [
            " Scopes    atproto: identify the account (its DID and handle)",
            "           repo: create, delete app.bsky.feed.post",
            "           rpc: app.bsky.feed.getTimeline via did:web:api.bsky.app#bsky_appview",
            "           transition:generic: everything an app password could do",
        ]
        if let scopes {
            #expect(Array(lines[scopes..<min(scopes + 4, lines.count)]).map(trimmed) == expected, "\(frame)")
            #expect(trimmed(lines[scopes + 4]).hasPrefix(" Access "), "\(frame)")
        }
    }

    @Test("permission rows: hanging wrap, and the scopes that do not fit are listed as granted")
    func permissionRows() {
        let scope = "atproto transition:generic rpc:app.bsky.feed.getTimeline?aud=did:web:api.bsky.app%23bsky_appview"
        #expect(
            Canvas<MemoryScreen>.permissionRows(scope, width: 40, room: 6) == [
                "atproto: identify the account (its DID", "  and handle)",
                "transition:generic: everything an app", "  password could do",
                "rpc: app.bsky.feed.getTimeline via", "  did:web:api.bsky.app#bsky_appview",
            ])
        // Short of room, the atproto line (in every grant) goes first…
        #expect(
            Canvas<MemoryScreen>.permissionRows(scope, width: 40, room: 4) == [
                "transition:generic: everything an app", "  password could do",
                "rpc: app.bsky.feed.getTimeline via", "  did:web:api.bsky.app#bsky_appview",
            ])
        // …then what does not fit is listed as granted.
        #expect(
            Canvas<MemoryScreen>.permissionRows(scope, width: 40, room: 3) == [
                "transition:generic: everything an app", "  password could do",
                "+ rpc:app.bsky.feed.getTimeline?aud=did:web:api.bsky.app%23bsky_appview",
            ])
        #expect(Canvas<MemoryScreen>.permissionRows(scope, width: 40, room: 1) == [scope])
        #expect(Canvas<MemoryScreen>.permissionRows("", width: 40, room: 3) == ["none granted"])
        #expect(
            Canvas<MemoryScreen>.permissionRows("atproto futurething:xyz", width: 70, room: 3) == [
                "atproto: identify the account (its DID and handle)", "not recognised: futurething:xyz",
            ])
    }

    @Test("the help page lists y / Y")
    func helpListsCopyKeys() {
        let frame = RenderTests.frame(run(Sample.model(), keys: [.char("?")]).0, rows: 24, cols: 80)
        #expect(frame.contains("y / Y     copy the DID / handle"))
    }

    // MARK: executor

    @Test("the executor turns the client's change feed into storeChanged events, never more than the changes")
    func executorFollowsTheFeed() async throws {
        let store = ObservedStore()
        let client = OAuthClient(
            configuration: OAuthClientConfiguration(), transport: ScriptedTransport(),
            txtResolver: ScriptedTXTResolver(), store: store)
        #expect(client.observesStoreChanges)
        let inbox = EventInbox()
        let executor = EffectExecutor(
            service: ClientAccountsService(client: client, loginOptions: LoopbackLoginOptions()), inbox: inbox)
        defer { executor.cancelAll() }
        executor.watchStore(interval: .milliseconds(50))
        try await store.waitForSubscriber()
        store.changed()
        // Outcomes only (how many changes fall into one interval depends on the machine's
        // speed): every change reaches the TUI as storeChanged, and bursts never multiply.
        let first = try await drain(inbox, until: 1)
        #expect(first.first == .storeChanged && first.allSatisfy { $0 == .storeChanged }, "\(first)")
        store.changed()
        store.changed()
        store.changed()
        let burst = try await drain(inbox, until: 1)
        #expect(!burst.isEmpty && burst.allSatisfy { $0 == .storeChanged }, "\(burst)")
        #expect(burst.count <= 3, "\(burst.count) events for 3 changes")
    }

    @Test("loads never overlap: loads asked for while one runs become one more load, and the last listing wins")
    func loadsAreSerialised() async throws {
        let service = SlowListingService()
        let inbox = EventInbox()
        let executor = EffectExecutor(service: service, inbox: inbox)
        defer { executor.cancelAll() }
        executor.perform(.loadAccounts)
        try await service.waitForLoads(1)
        service.version = 2  // the store changed while the first load was reading it
        for _ in 0..<5 { executor.perform(.loadAccounts) }
        let events = try await drain(inbox, until: 2)
        try await Task.sleep(for: .milliseconds(300))
        let all = events + inbox.drain()
        #expect(all.count == 2, "expected the first load and one more, got \(all.count)")
        #expect(service.maximumConcurrentLoads == 1)
        guard case .accountsLoaded(let accounts, _) = all.last else {
            Issue.record("expected accountsLoaded, got \(all)")
            return
        }
        #expect(accounts.map(\.handle) == ["v2.test"])
    }

    @Test("a store without a change feed: no storeChanges, no watch")
    func noFeed() {
        let client = OAuthClient(
            configuration: OAuthClientConfiguration(), transport: ScriptedTransport(),
            txtResolver: ScriptedTXTResolver(), store: InMemorySessionStore())
        #expect(!client.observesStoreChanges)
        #expect(client.storeChanges() == nil)
        #expect(ClientAccountsService(client: client, loginOptions: LoopbackLoginOptions()).storeChanges() == nil)
        #expect(FakeService().storeChanges() == nil)
    }

    private func trimmed(_ line: String) -> String {
        String(line.reversed().drop { $0 == " " }.reversed())
    }

    /// Drains the inbox until `count` events arrived (bounded: only a broken feed waits 10 s).
    /// Waits for `count` events; the deadline only ends a hung test (a full parallel test run
    /// on a loaded machine once kept this task off the cooperative pool for over 10 s).
    private func drain(_ inbox: EventInbox, until count: Int) async throws -> [Event] {
        var received: [Event] = []
        let deadline = ContinuousClock.now + .seconds(60)
        while received.count < count, ContinuousClock.now < deadline {
            received += inbox.drain()
            if received.count < count { try await Task.sleep(for: .milliseconds(5)) }
        }
        return received
    }
}

/// A service whose listing takes 100 ms and names its version, counting overlapping loads.
private final class SlowListingService: AccountsService, @unchecked Sendable {
    private let lock = NSLock()
    private var current = 1  // guarded by lock
    private var running = 0  // guarded by lock
    private var peak = 0  // guarded by lock
    private var started = 0  // guarded by lock
    let suggestedHandles: [String] = []

    var version: Int {
        get { lock.withLock { current } }
        set { lock.withLock { current = newValue } }
    }
    var maximumConcurrentLoads: Int { lock.withLock { peak } }

    func waitForLoads(_ count: Int) async throws {
        for _ in 0..<2000 where lock.withLock({ started < count }) {
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func loadAccounts() async -> (accounts: [AccountSummary], problems: [StoreProblemSummary]) {
        lock.withLock {
            started += 1
            running += 1
            peak = max(peak, running)
        }
        try? await Task.sleep(for: .milliseconds(100))
        var account = Sample.alice
        let version = lock.withLock {
            running -= 1
            return current
        }
        account.handle = "v\(version).test"
        return ([account], [])
    }

    func discover(_ input: String) -> AsyncStream<DiscoveryProgress> { AsyncStream { $0.finish() } }
    func login(_ input: String) -> AsyncStream<LoginProgress> { AsyncStream { $0.finish() } }
    func refresh(_ did: String) async -> Result<AccountSummary, TUIServiceError> {
        .failure(TUIServiceError("not here", hint: ""))
    }
    func refreshAll(
        _ dids: [String], onResult: @escaping @Sendable (String, Result<AccountSummary, TUIServiceError>) -> Void
    ) async {}
    func logout(_ did: String) async -> Result<Void, TUIServiceError> { .success(()) }
    func setDefault(_ did: String) async -> Result<Void, TUIServiceError> { .success(()) }
    func openInBrowser(_ url: URL) async {}
}

/// An in-memory store with a change feed the test fires by hand.
private final class ObservedStore: ObservableSessionStore, @unchecked Sendable {
    private let inner = InMemorySessionStore()
    private let lock = NSLock()
    private var continuations: [AsyncStream<Void>.Continuation] = []  // guarded by lock

    func changes() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        lock.withLock { continuations.append(continuation) }
        return stream
    }

    func changed() {
        for continuation in lock.withLock({ continuations }) { continuation.yield() }
    }

    func waitForSubscriber() async throws {
        for _ in 0..<1000 where lock.withLock({ continuations.isEmpty }) {
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func load(_ did: DID) async throws -> Session { try await inner.load(did) }
    func save(_ session: Session) async throws { await inner.save(session) }
    func delete(_ did: DID) async throws { try await inner.delete(did) }
    func list() async throws -> SessionListing { await inner.list() }
    func withLock<T: Sendable>(
        _ did: DID, timeout: Duration, _ body: @Sendable () async throws -> T
    ) async throws -> T {
        try await inner.withLock(did, timeout: timeout, body)
    }
}
