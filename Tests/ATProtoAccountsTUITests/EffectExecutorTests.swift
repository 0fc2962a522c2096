import ATProtoDiscovery
import ATProtoOAuthClient
import ATProtoOAuthTesting
import Foundation
import Testing

@testable import ATProtoAccountsTUI

/// The TUI's effect executor against the real service (`ClientAccountsService` over an
/// `OAuthClient`), with the in-memory store and a scripted transport: each effect must post
/// the event the model expects. Events are awaited (bounded polling of the inbox), never timed.
@Suite("EffectExecutor over ClientAccountsService")
struct EffectExecutorTests {
    static let plc = "https://plc.example.com"
    static let dids = ["did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", "did:plc:bbbbbbbbbbbbbbbbbbbbbbbb"]
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("loadAccounts posts every stored account as a summary, none default (the in-memory store keeps none)")
    func loadAccounts() async throws {
        let world = try World()
        world.executor.perform(.loadAccounts)
        let events = try await world.events(1)
        guard case .accountsLoaded(let accounts, let problems) = events.first else {
            Issue.record("expected accountsLoaded, got \(events)")
            return
        }
        #expect(accounts.map(\.did) == Self.dids)
        #expect(accounts.map(\.handle) == ["alice.example.com", "bob.example.com"])
        #expect(accounts.allSatisfy { !$0.isDefault && !$0.needsLogin && $0.hasRefreshToken })
        #expect(problems.isEmpty)
    }

    @Test("R24: refresh posts refreshFinished with the refreshed summary")
    func refresh() async throws {
        let world = try World()
        world.executor.perform(.refresh(Self.dids[0]))
        let events = try await world.events(1)
        guard case .refreshFinished(let did, .success(let summary)) = events.first else {
            Issue.record("expected a successful refreshFinished, got \(events)")
            return
        }
        #expect(did == Self.dids[0])
        #expect(summary.refreshedAt == Self.now)
        #expect(world.tokens.presentedRefreshTokens == ["refresh-1-0"])
    }

    @Test("R24: refresh of an account whose refresh token is refused posts a failure that asks for a login")
    func refreshRefused() async throws {
        let world = try World(spent: [1])
        world.executor.perform(.refresh(Self.dids[1]))
        let events = try await world.events(1)
        guard case .refreshFinished(let did, .failure(let error)) = events.first else {
            Issue.record("expected a failed refreshFinished, got \(events)")
            return
        }
        #expect(did == Self.dids[1])
        #expect(error.hint.contains("press L"))
    }

    @Test("refreshAll posts one refreshFinished per account")
    func refreshAll() async throws {
        let world = try World()
        world.executor.perform(.refreshAll(Self.dids))
        let events = try await world.events(2)
        var finished: [String: Bool] = [:]
        for event in events {
            if case .refreshFinished(let did, let result) = event { finished[did] = (try? result.get()) != nil }
        }
        #expect(finished == [Self.dids[0]: true, Self.dids[1]: true])
        #expect(world.tokens.replayCount == 0)
    }

    @Test("R27: logout revokes, deletes and posts logoutFinished without an error")
    func logout() async throws {
        let world = try World()
        world.executor.perform(.logout(Self.dids[0]))
        let events = try await world.events(1)
        #expect(events == [.logoutFinished(did: Self.dids[0], error: nil)])
        #expect(world.transport.requests(to: "https://as.example.com/oauth/revoke").count == 1)

        world.executor.perform(.loadAccounts)
        guard case .accountsLoaded(let accounts, _) = try await world.events(1).first else {
            Issue.record("expected accountsLoaded")
            return
        }
        #expect(accounts.map(\.did) == [Self.dids[1]])
    }

    @Test("setDefault on a store that keeps no default account posts defaultSet with an error")
    func setDefaultWithoutDefaultStore() async throws {
        let world = try World()
        world.executor.perform(.setDefault(Self.dids[0]))
        let events = try await world.events(1)
        guard case .defaultSet(let did, let error?) = events.first else {
            Issue.record("expected defaultSet with an error, got \(events)")
            return
        }
        #expect(did == Self.dids[0])
        #expect(error.message.contains("no default account"))
    }
}

/// Two accounts in an in-memory store, their discovery documents, a strict token endpoint and
/// a revocation endpoint on a scripted transport; the executor and its inbox.
private struct World {
    let transport = ScriptedTransport()
    let tokens: ScriptedTokenEndpoint
    let inbox = EventInbox()
    let executor: EffectExecutor

    /// - Parameter spent: accounts whose stored refresh token the server no longer accepts.
    init(spent: Set<Int> = []) throws {
        let pds = try #require(URL(string: "https://pds.example.com"))
        let issuer = try #require(URL(string: "https://as.example.com"))
        let plc = try #require(URL(string: EffectExecutorTests.plc))
        var sessions: [Session] = []
        for (index, name) in ["alice", "bob"].enumerated() {
            let did = EffectExecutorTests.dids[index]
            sessions.append(
                try Session.testSession(
                    did: did, handle: "\(name).example.com", pds: pds, issuer: issuer,
                    refreshToken: "refresh-1-\(index)", now: EffectExecutorTests.now))
            transport.routeIdentity(
                did: did, handle: "\(name).example.com", pds: pds, issuer: issuer, plcDirectory: plc)
        }
        tokens = transport.routeTokenEndpoint(
            for: sessions.enumerated().filter { !spent.contains($0.offset) }.map(\.element))
        transport.route("https://as.example.com/oauth/revoke", method: "POST", respond: HTTPResponse(status: 200))
        let client = OAuthClient(
            configuration: OAuthClientConfiguration(discovery: DiscoveryConfiguration(plcDirectory: plc)),
            transport: transport, txtResolver: ScriptedTXTResolver(), store: InMemorySessionStore(sessions),
            identityCache: IdentityCache(), now: { EffectExecutorTests.now })
        executor = EffectExecutor(
            service: ClientAccountsService(client: client, loginOptions: LoopbackLoginOptions()), inbox: inbox)
    }

    /// The next `count` events the executor posts, awaited by draining the inbox between short
    /// pauses, up to a generous bound that only a hung effect reaches.
    func events(_ count: Int) async throws -> [Event] {
        var received: [Event] = []
        for _ in 0..<10_000 where received.count < count {
            received += inbox.drain()
            if received.count < count { try await Task.sleep(for: .milliseconds(1)) }
        }
        try #require(received.count == count, "expected \(count) events, got \(received)")
        return received
    }
}
