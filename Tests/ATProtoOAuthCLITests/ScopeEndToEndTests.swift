import Foundation
import Testing

extension EndToEnd {
    @Suite("scopes")
    struct ScopeEndToEndTests {
        /// What the dev authorization server grants for `include:com.example.dev.basicAccess`
        /// (`DevPermissionSets.expansion`): repeated parameters, an encoded `#`, and a form no
        /// client knows yet.
        static let expandedGrant = [
            "atproto",
            "repo:com.example.dev.post?action=create&action=delete",
            "repo?collection=com.example.dev.like&collection=com.example.dev.repost",
            "rpc?lxm=com.example.dev.getFeed&lxm=com.example.dev.getTimeline&aud=did:web:appview.dev.test%23dev_appview",
            "blob?accept=image/*&accept=video/*",
            "futurething:xyz",
        ].joined(separator: " ")

        func scope(of did: String, in result: CLIResult) throws -> String? {
            try AccountsDocument(result).accounts.first { $0["did"] as? String == did }?["scope"] as? String
        }

        @Test(
            "R20/R28: --scope 'atproto include:<nsid>' logs in; the expanded grant is stored verbatim and kept on refresh"
        )
        func includeExpanded() async throws {
            try await withHarness { cli in
                let alice = try cli.server.info.account("alice.test")
                let result = try await cli.login(
                    "alice.test", extra: ["--scope", "atproto include:com.example.dev.basicAccess"])
                #expect(result.exitCode == 0, "\(result)\nbrowser log:\n\(cli.home.browserLogText)")
                #expect(try result.object()["scope"] as? String == Self.expandedGrant, "\(result)")

                let status = try await cli.run(["status", "--json"])
                #expect(status.exitCode == 0, "\(status)")
                #expect(try scope(of: alice.did, in: status) == Self.expandedGrant, "\(status)")

                let refreshed = try await cli.run(["refresh", alice.did, "--json"])
                #expect(refreshed.exitCode == 0, "\(refreshed)")
                let after = try await cli.run(["status", "--json"])
                #expect(try scope(of: alice.did, in: after) == Self.expandedGrant, "\(after)")
            }
        }

        @Test("R28: a permission set the server does not know fails the login at PAR with invalid_scope")
        func unknownPermissionSet() async throws {
            try await withHarness { cli in
                let result = try await cli.login(
                    "alice.test", extra: ["--scope", "atproto include:com.example.dev.unknownSet"])
                #expect(result.exitCode != 0, "\(result)")
                #expect(result.stderr.contains("invalid_scope"), "\(result)")
                #expect(cli.accountFiles().isEmpty)
            }
        }
    }
}
