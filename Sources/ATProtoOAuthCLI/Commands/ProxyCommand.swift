import ATProtoOAuth
import ATProtoOAuthClient
import ATProtoOAuthProxy
import ArgumentParser
import Foundation

/// `atproto-oauth proxy`: lends an account's session to any HTTP tool through the library's
/// `SessionProxy`, until SIGINT or SIGTERM.
struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Lend an account's session to other programs: a DPoP proxy on 127.0.0.1 for /xrpc/*.",
        discussion: """
            Listens on 127.0.0.1 only and forwards /xrpc/* to the account's PDS with the session: \
            Authorization: DPoP and a proof with ath, the PDS nonce, one refresh and retry on \
            invalid_token (R25). Content-Type, Accept and atproto-proxy pass through; the caller's \
            Authorization never does. Prints one JSON line, {"did","token","url"}, then runs until \
            SIGINT or SIGTERM (exit 0).

            Every request must carry Authorization: Bearer <token> — random for each run, because \
            other users of this machine can reach 127.0.0.1 too — or gets 401; other paths get 404.

            Example:
              atproto-oauth proxy alice.bsky.social --port 8787 &
              curl -H "Authorization: Bearer $TOKEN" \\
                  http://127.0.0.1:8787/xrpc/com.atproto.server.getSession

            \(ExitCodes.helpText)
            """)

    @Argument(
        help: "Handle, DID or unique prefix (default: --account, $ATPROTO_OAUTH_ACCOUNT, else the default account).")
    var account: String?

    @Option(help: "Port on 127.0.0.1 (default: a free one; the JSON line says which).")
    var port = 0

    @OptionGroup var accountOption: AccountOption
    @OptionGroup var options: GlobalOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535, got \(port)") }
    }

    func run() async throws {
        try await ErrorReporting.run(usingSession: true) {
            let signals = SignalWaiter(signals: [SIGINT, SIGTERM])
            try await CommandRuntime.with(options) { runtime in
                let session = try await runtime.account(accountOption.query(argument: account))
                // A session that needs a login fails now (exit 5), not on the first request.
                _ = try await runtime.client.restore(session.did)
                let proxy = SessionProxy(client: runtime.client, did: session.did, port: port)
                let serving = Task {
                    try await proxy.run { url in
                        let line = ProxyLine(did: session.did.rawValue, token: proxy.token, url: url.absoluteString)
                        let encoder = JSONEncoder()
                        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                        // Straight to the descriptor: a script reads the line while the proxy runs.
                        FileHandle.standardOutput.write(((try? encoder.encode(line)) ?? Data()) + Data("\n".utf8))
                    }
                }
                let stopper = Task {
                    await signals.wait()
                    serving.cancel()
                }
                let outcome = await serving.result
                stopper.cancel()
                try outcome.get()
            }
        }
    }

    /// The one line the proxy prints: the only place its bearer token is ever shown.
    struct ProxyLine: Codable {
        var did: String
        var token: String
        var url: String
    }
}
