import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension EndToEnd {
    /// Sessions that outlive changes on the server side: a PDS move under the same issuer, a
    /// move to another issuer, a server-side revocation (R21, R24, R25), through the binary.
    @Suite("identity and session changes on the server")
    struct IdentityChangeTests {
        @Test("R21: the PDS moved under the same issuer → refresh adopts it and requests go to the new host")
        func pdsMoveAdopted() async throws {
            try await withHarness { cli in
                let did = try await cli.loggedIn("alice.test")
                let info = cli.server.info
                let newPDS = try #require(info.pds.count > 2 ? info.pds[2] : nil, "no second entryway PDS")
                try await cli.server.control("move-account", did: did, pds: newPDS)

                let refresh = try await cli.run(["refresh", "alice.test", "--json"])
                #expect(refresh.exitCode == 0, "\(refresh)")
                let status = try AccountsDocument(try await cli.run(["status", "--json"]))
                let account = try #require(status.accounts.first { $0["did"] as? String == did })
                #expect(account["pds"] as? String == newPDS, "\(account)")
                #expect(status.state(of: did) == "ok")

                let request = try await cli.run(["request", "com.atproto.server.getSession"])
                #expect(request.exitCode == 0, "\(request)")
                #expect(
                    cli.server.stderr.contains("GET \(newPDS)/xrpc/com.atproto.server.getSession → 200"),
                    "\(cli.server.stderr)")
            }
        }

        @Test("R25/R21: a request after the PDS moved: invalid_token at the old host, one refresh, retried at the new")
        func requestFollowsMove() async throws {
            try await withHarness { cli in
                let did = try await cli.loggedIn("alice.test")
                let info = cli.server.info
                let newPDS = try #require(info.pds.count > 2 ? info.pds[2] : nil, "no second entryway PDS")
                try await cli.server.control("move-account", did: did, pds: newPDS)

                let request = try await cli.run(["request", "com.atproto.server.getSession"])
                #expect(request.exitCode == 0, "\(request)")
                #expect(try request.object()["did"] as? String == did)
                let log = cli.server.stderr
                #expect(log.contains("GET \(info.pds[0])/xrpc/com.atproto.server.getSession → 401"), "\(log)")
                #expect(log.contains("POST \(info.entryway)/oauth/token → 200"), "\(log)")
                #expect(log.contains("GET \(newPDS)/xrpc/com.atproto.server.getSession → 200"), "\(log)")
            }
        }

        @Test("R21: the issuer changed → refresh exits 5 (needs login) and the refresh token is not spent")
        func issuerChanged() async throws {
            try await withHarness { cli in
                let did = try await cli.loggedIn("alice.test")
                let before = try cli.home.secrets(of: did)
                let info = cli.server.info
                try await cli.server.control("move-account", did: did, pds: info.pds[1])
                let tokenRequestsBefore = cli.server.stderr.components(separatedBy: "/oauth/token").count

                let refresh = try await cli.run(["refresh", "alice.test"])
                #expect(refresh.exitCode == 5, "\(refresh)")
                #expect(refresh.stderr.contains("R21"), "\(refresh)")
                #expect(refresh.stderr.contains(info.pds[1]), "the error names the new issuer: \(refresh)")
                #expect(
                    cli.server.stderr.components(separatedBy: "/oauth/token").count == tokenRequestsBefore,
                    "a token request was sent after the issuer changed:\n\(cli.server.stderr)")
                #expect(try cli.home.secrets(of: did)["refresh_token"] == before["refresh_token"])

                let status = try AccountsDocument(try await cli.run(["status", "--json"]))
                #expect(status.state(of: did) == "needs-login")
            }
        }

        @Test("R24: a session revoked server-side → refresh exits 5 and the account is kept, marked needs-login")
        func revokedServerSide() async throws {
            try await withHarness { cli in
                let did = try await cli.loggedIn("alice.test")
                try await cli.server.control("revoke-sessions", did: did)

                let request = try await cli.run(["request", "com.atproto.server.getSession"])
                #expect(request.exitCode == 5, "\(request)")
                #expect(request.stderr.contains("login"), "\(request)")
                #expect(cli.accountFiles() == ["\(did).json"])
                let status = try await cli.run(["status", "--json"])
                #expect(status.exitCode == 1, "\(status)")
                #expect(try AccountsDocument(status).state(of: did) == "needs-login")
            }
        }
    }
}

extension DevServerProcess {
    /// `POST <plc>/_dev/<call>?did=…[&pds=…]`: the dev network's control surface.
    func control(_ call: String, did: String, pds: String? = nil) async throws {
        var components = try #require(URLComponents(string: info.plc + "/_dev/" + call))
        components.queryItems =
            [URLQueryItem(name: "did", value: did)] + (pds.map { [URLQueryItem(name: "pds", value: $0)] } ?? [])
        var request = URLRequest(url: try #require(components.url))
        request.httpMethod = "POST"
        let (body, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        try #require(status == 200, "\(call) answered \(status): \(String(decoding: body, as: UTF8.self))")
    }
}
