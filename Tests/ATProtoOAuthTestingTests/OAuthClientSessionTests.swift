import ATProtoDiscovery
import ATProtoOAuthClient
import ATProtoOAuthTesting
import Foundation
import Testing

/// `OAuthClient`'s policies for stored sessions (R21–R27) over the scripted transport and the
/// in-memory store: no sockets, no timing.
@Suite("OAuthClient: sessions over a scripted transport")
struct OAuthClientSessionTests {
    @Test("R24/R26: restore refreshes only a session with under the refresh margin left")
    func restoreRefreshesOnlyUnderMargin() async throws {
        let world = try ClientWorld(accounts: 2, expiresIn: [SessionAgent.refreshMargin - 30, 600])
        let fresh = try await world.client.restore(world.dids[1])
        #expect(fresh.accessToken == "access-1")
        #expect(world.tokens.requestCount == 0)

        let renewed = try await world.client.restore(world.dids[0])
        #expect(renewed.accessToken == "access-2")
        #expect(world.tokens.presentedRefreshTokens == ["refresh-1-0"])
        #expect(try await world.store.load(world.dids[0]).accessToken == "access-2")
    }

    @Test("refreshAll runs at most refreshConcurrency refreshes at once and reports in the order given")
    func refreshAllIsBoundedAndOrdered() async throws {
        let world = try ClientWorld(accounts: 5, refreshConcurrency: 2)
        let gate = Gate()
        let tokens = world.tokens
        let total = world.dids.count
        let heard = Heard()
        // The first account's refresh is held until every other one has been reported, so it
        // finishes last; the others are held until two are in flight. An unbounded client
        // would reach 5 at once; a serial one never 2.
        world.transport.route(world.sessions[0].tokenEndpoint, method: "POST") { request in
            gate.arrive()
            let first = request.formField("refresh_token") == "refresh-1-0"
            _ = await eventually {
                first ? heard.dids.count == total - 1 : gate.current >= 2 || gate.arrived == total
            }
            defer { gate.leave() }
            return try tokens.respond(to: request)
        }
        let results = try await world.client.refreshAll(world.dids) { did, _ in heard.append(did) }

        #expect(gate.peak == 2)
        #expect(world.transport.peakInFlight <= 2)
        #expect(results.map(\.did) == world.dids)
        #expect(results.allSatisfy { (try? $0.result.get()) != nil })
        #expect(heard.dids.last == world.dids[0], "the held refresh finished last: \(heard.dids)")
        #expect(world.tokens.replayCount == 0)
    }

    @Test("R24: refreshAll adopts what another process refreshed after it listed, without spending the token again")
    func refreshAllAdoptsAnotherProcessRefresh() async throws {
        let world = try ClientWorld(accounts: 2, refreshConcurrency: 1)
        let other = try world.otherClient()
        let first = world.dids[0]
        world.store.beforeNextLock { did in _ = try? await other.refresh(did) }

        let results = try await world.client.refreshAll()

        // Account 0 was refreshed once, by the other client; account 1 once, by this one.
        #expect(world.tokens.presentedRefreshTokens.sorted() == ["refresh-1-0", "refresh-1-1"])
        #expect(world.tokens.replayCount == 0)
        let adopted = try #require(try results.first { $0.did == first }?.result.get())
        #expect(adopted.accessToken == (try await world.store.load(first)).accessToken)
        #expect(adopted.accessToken != world.sessions[0].accessToken)
        #expect(results.allSatisfy { (try? $0.result.get()) != nil })

        // An explicit refresh of one account still spends its token, once.
        _ = try await world.client.refreshAll([first])
        #expect(world.tokens.presentedRefreshTokens.count == 3)
        #expect(world.tokens.replayCount == 0)
    }

    @Test("R24/R27: refresh, invalid_grant and logout arrive on events() as updated, needsLogin, deleted")
    func eventsForRefreshInvalidGrantAndLogout() async throws {
        let world = try ClientWorld(accounts: 2)
        world.transport.route(world.sessions[0].revocationEndpoint?.absoluteString ?? "", respond: .json("{}"))
        var events = world.client.events().makeAsyncIterator()

        _ = try await world.client.refresh(world.dids[0])
        guard case .updated(let session) = await events.next() else {
            Issue.record("expected .updated")
            return
        }
        #expect(session.did == world.dids[0])
        #expect(session.accessToken == "access-2")

        // Spend account 1's refresh token behind the client's back: the next refresh replays it.
        _ = try world.tokens.respond(to: try await replayedRefresh(world, account: 1))
        await #expect(throws: ATProtoOAuthError.self) { _ = try await world.client.refresh(world.dids[1]) }
        guard case .needsLogin(let did, let reason) = await events.next() else {
            Issue.record("expected .needsLogin")
            return
        }
        #expect(did == world.dids[1])
        #expect(reason.contains("refresh token replayed"))
        #expect(try await world.store.load(world.dids[1]).needsLogin)

        _ = try await world.client.logout(world.dids[0])
        guard case .deleted(let deleted) = await events.next() else {
            Issue.record("expected .deleted")
            return
        }
        #expect(deleted == world.dids[0])
    }

    @Test("R27: logout revokes the refresh token with DPoP while the session is still stored, then deletes it")
    func logoutRevokesThenDeletes() async throws {
        let world = try ClientWorld()
        let did = world.dids[0]
        let store = world.store
        let storedDuringRevocation = Heard()
        world.transport.route(try #require(world.sessions[0].revocationEndpoint), method: "POST") { _ in
            if (try? await store.load(did)) != nil { storedDuringRevocation.append(did) }
            return HTTPResponse(status: 200)
        }
        let outcome = try await world.client.logout(did)
        #expect(outcome.revoked && outcome.deleted)
        #expect(storedDuringRevocation.dids == [did])
        let endpoint = try #require(world.sessions[0].revocationEndpoint)
        let revocation = try #require(world.transport.requests(to: endpoint).first)
        #expect(revocation.formField("token") == "refresh-1-0")
        #expect(revocation.formField("token_type_hint") == "refresh_token")
        #expect(try revocation.dpopProof().htm == "POST")
        await #expect(throws: ATProtoOAuthError.self) { _ = try await world.store.load(did) }
    }

    @Test("R26/R27: a failed revocation still deletes by default, and keeps the session only when asked")
    func logoutOnRevocationFailure() async throws {
        let world = try ClientWorld(accounts: 2)
        let endpoint = try #require(world.sessions[0].revocationEndpoint)
        world.transport.route(endpoint, method: "POST", respond: .json(#"{"error":"server_error"}"#, status: 503))

        let kept = try await world.client.logout(world.dids[0], keepOnRevocationFailure: true)
        #expect(!kept.revoked && !kept.deleted)
        #expect(kept.revocationError != nil)
        #expect(try await world.store.load(world.dids[0]).did == world.dids[0])

        let dropped = try await world.client.logout(world.dids[1])
        #expect(!dropped.revoked && dropped.deleted)
        await #expect(throws: ATProtoOAuthError.self) { _ = try await world.store.load(world.dids[1]) }
    }

    @Test("R22: xrpc sends /xrpc/<nsid> with repeated parameters, Authorization: DPoP and a proof with ath")
    func xrpcBuildsTheRequest() async throws {
        let world = try ClientWorld()
        let did = world.dids[0]
        let path = ClientWorld.pds + "/xrpc/app.bsky.feed.getPosts"
        world.transport.route(path, respond: .json(#"{"posts":[]}"#))

        let response = try await world.client.xrpc(
            did, "app.bsky.feed.getPosts", parameters: [("uris", "at://a/b/1"), ("uris", "at://a/b/2")])
        #expect(response.status == 200)
        let request = try #require(world.transport.requests(to: path).first)
        #expect(request.method == "GET")
        #expect(request.queryItems.map(\.name) == ["uris", "uris"])
        #expect(request.queryItems.map(\.value) == ["at://a/b/1", "at://a/b/2"])
        #expect(request.header("Authorization") == "DPoP access-1")
        #expect(request.header("Accept") == "application/json")
        #expect(request.body == nil)
        let proof = try request.dpopProof()
        #expect(proof.htm == "GET")
        #expect(proof.htu == path)
        #expect(proof.ath == DPoPProof.accessTokenHash("access-1"))
        #expect(proof.jwk.thumbprintOrNil == world.sessions[0].dpopKey.publicKey.thumbprintOrNil)

        let procedure = ClientWorld.pds + "/xrpc/com.atproto.repo.createRecord"
        world.transport.route(procedure, method: "POST", respond: .json("{}"))
        _ = try await world.client.xrpc(did, "com.atproto.repo.createRecord", body: Data(#"{"a":1}"#.utf8))
        let post = try #require(world.transport.requests(to: procedure).first)
        #expect(post.method == "POST")
        #expect(post.header("Content-Type") == "application/json")
        #expect(post.bodyText == #"{"a":1}"#)
        #expect(try post.dpopProof().htm == "POST")
    }

    @Test("R24: two tasks refreshing one DID at once spend each refresh token once, in turn")
    func concurrentRefreshesNeverReplay() async throws {
        let world = try ClientWorld()
        let did = world.dids[0]
        try holdTokenRequestsUntilTwoLockRequests(world)
        async let first = world.client.refresh(did)
        async let second = world.client.refresh(did)
        let sessions = try await [first, second]

        #expect(world.tokens.replayCount == 0)
        #expect(world.tokens.presentedRefreshTokens == ["refresh-1-0", "refresh-2"])
        #expect(Set(sessions.map(\.accessToken)) == ["access-2", "access-3"])
        #expect(try await world.store.load(did).refreshToken == "refresh-3")
    }

    @Test("R24: two tasks restoring one expiring session at once make a single token request")
    func concurrentRestoresRefreshOnce() async throws {
        let world = try ClientWorld(expiresIn: [10])
        let did = world.dids[0]
        try holdTokenRequestsUntilTwoLockRequests(world)
        async let first = world.client.restore(did)
        async let second = world.client.restore(did)
        let sessions = try await [first, second]

        #expect(world.tokens.requestCount == 1)
        #expect(world.tokens.replayCount == 0)
        #expect(sessions.map(\.accessToken) == ["access-2", "access-2"])
    }

    /// Holds the first token request until a second task has asked for the account's lock, so
    /// the race is real whatever the scheduling: the second refresh waits for the first's
    /// answer inside the lock, and must then re-read the session (R24).
    private func holdTokenRequestsUntilTwoLockRequests(_ world: ClientWorld) throws {
        let store = world.store
        let tokens = world.tokens
        world.transport.route(world.sessions[0].tokenEndpoint, method: "POST") { request in
            #expect(await eventually { store.lockRequests >= 2 })
            return try tokens.respond(to: request)
        }
    }

    /// A refresh of `account` made outside the client, spending its stored refresh token.
    private func replayedRefresh(_ world: ClientWorld, account: Int) async throws -> HTTPRequest {
        let session = world.sessions[account]
        let url = session.tokenEndpoint
        let proof = try DPoPProof.make(
            key: try DPoPKey(privateJWK: session.dpopKey), method: "POST", url: url, nonce: nil, accessToken: nil,
            now: world.now)
        return TokenRequest.refresh(refreshToken: session.refreshToken ?? "", clientID: session.clientID)
            .httpRequest(endpoint: url, dpopProof: proof)
    }
}

/// Counts requests held at a scripted server: how many arrived, how many are in flight now,
/// and the most at once.
final class Gate: @unchecked Sendable {
    private let lock = NSLock()
    private var counts = (arrived: 0, current: 0, peak: 0)  // guarded by lock

    var arrived: Int { lock.withLock { counts.arrived } }
    var current: Int { lock.withLock { counts.current } }
    var peak: Int { lock.withLock { counts.peak } }

    func arrive() {
        lock.withLock {
            counts.arrived += 1
            counts.current += 1
            counts.peak = max(counts.peak, counts.current)
        }
    }

    func leave() { lock.withLock { counts.current -= 1 } }
}

/// DIDs heard from a callback, in order.
final class Heard: @unchecked Sendable {
    private let lock = NSLock()
    private var heard: [DID] = []  // guarded by lock

    var dids: [DID] { lock.withLock { heard } }
    func append(_ did: DID) { lock.withLock { heard.append(did) } }
}

extension JWK {
    fileprivate var thumbprintOrNil: String? { try? thumbprint() }
}
