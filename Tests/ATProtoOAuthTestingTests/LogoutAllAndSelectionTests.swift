import ATProtoOAuthClient
import ATProtoOAuthTesting
import Foundation
import Testing

/// `OAuthClient.logoutAll` (bounded like `refreshAll`) and the account-selection rule, over
/// the scripted transport and the in-memory store.
@Suite("OAuthClient: logoutAll and AccountSelection")
struct LogoutAllAndSelectionTests {
    @Test("logoutAll revokes and deletes every account, at most refreshConcurrency at once, reporting each")
    func logoutAllIsBounded() async throws {
        let world = try ClientWorld(accounts: 5, refreshConcurrency: 2)
        let endpoint = try #require(world.sessions[0].revocationEndpoint)
        let gate = Gate()
        let total = world.dids.count
        world.transport.route(endpoint, method: "POST") { _ in
            gate.arrive()
            _ = await eventually { gate.current >= 2 || gate.arrived == total }
            defer { gate.leave() }
            return HTTPResponse(status: 200)
        }
        let heard = Heard()
        let results = try await world.client.logoutAll { did, _ in heard.append(did) }

        #expect(gate.peak == 2)
        #expect(Set(results.map(\.did)) == Set(world.dids))
        #expect(Set(heard.dids) == Set(world.dids))
        #expect(
            results.allSatisfy { (try? $0.result.get())?.revoked == true && (try? $0.result.get())?.deleted == true })
        #expect(try await world.store.list().sessions.isEmpty)
    }

    @Test("logoutAll with keepOnRevocationFailure keeps the sessions whose revocation failed")
    func logoutAllKeepsOnFailure() async throws {
        let world = try ClientWorld(accounts: 2)
        let endpoint = try #require(world.sessions[0].revocationEndpoint)
        world.transport.route(endpoint, method: "POST", respond: .json(#"{"error":"server_error"}"#, status: 503))
        let results = try await world.client.logoutAll(keepOnRevocationFailure: true)
        #expect(results.count == 2)
        #expect(results.allSatisfy { (try? $0.result.get()).map { !$0.revoked && !$0.deleted } == true })
        #expect(try await world.store.list().sessions.count == 2)
    }

    @Test(
        "AccountSelection: argument, then --account, then ATPROTO_OAUTH_ACCOUNT, then the default; blanks count as unset",
        arguments: [
            ("alice", "bob", "carol", "alice", AccountSelection.Source.argument),
            (nil, "bob", "carol", "bob", .option),
            (nil, nil, "carol", "carol", .environment),
            (" ", "", "carol", "carol", .environment),
            (nil, nil, nil, nil, .default),
            (nil, nil, "  ", nil, .default),
        ] as [(String?, String?, String?, String?, AccountSelection.Source)])
    func selection(
        argument: String?, option: String?, variable: String?, expected: String?, source: AccountSelection.Source
    ) {
        var environment = ["PATH": "/usr/bin"]
        environment[AccountSelection.environmentVariable] = variable
        let selection = AccountSelection(argument: argument, option: option, environment: environment)
        #expect(selection.query == expected)
        #expect(selection.source == source)
    }
}
