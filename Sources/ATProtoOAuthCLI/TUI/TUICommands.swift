import ATProtoAccountsTUI
import ATProtoDevServer
import ATProtoHTTP
import ATProtoOAuth
import ATProtoOAuthClient
import ATProtoOAuthLogin
import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `atproto-oauth tui` (and a bare `atproto-oauth` on a terminal): the account manager.
struct TUICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tui",
        abstract: "Open the terminal account manager (what a bare `atproto-oauth` opens on a terminal).",
        discussion: """
            Keys: j/k or arrows move, g/G first/last, Enter fixes the selected account (refresh or re-login), a add an account, L log the \
            selected account in again, r refresh, R refresh all, d discovery inspector, x log out \
            (y confirms), s make default, y/Y copy the DID/handle, / filter, ? help, Esc back, q or Ctrl-C quit.
            """)

    @Flag(name: .customLong("no-browser"), help: "Never start a browser; the TUI shows the URL to open.")
    var noBrowser = false

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            Terminal.info(
                "atproto-oauth: the account manager needs a terminal; see `atproto-oauth --help` for commands")
            throw ExitCodes.usage
        }
        try await ErrorReporting.run {
            try await CommandRuntime.with(options) { runtime in
                let service = ClientAccountsService(
                    client: runtime.client,
                    loginOptions: LoopbackLoginOptions(
                        openBrowser: noBrowser ? LoginConfiguration.noBrowser : LoginConfiguration.systemBrowser),
                    isNetworkFailure: ErrorReporting.isNetworkFailure)
                try await TUIRunner(service: service, environment: ProcessInfo.processInfo.environment).run()
            }
        }
    }
}

/// `atproto-oauth demo`: the whole product offline — an in-process dev network, a temporary
/// store and the TUI, with the seeded handles offered for login.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Try the account manager offline against an in-process dev network (auto-approve).",
        discussion: """
            Starts a strict loopback ATProto network (alice.test, bob.test, carol.test), uses a \
            temporary account store unless --store is given, and opens the TUI. Press a to log a \
            seeded account in: with no browser, the authorization URL is fetched in-process.
            """)

    @Option(help: "Account store directory (default: a temporary one, removed on exit).")
    var store: String?

    @Option(name: .customLong("access-ttl"), help: "Access-token lifetime in seconds (watch refreshes happen).")
    var accessTTL: Int = 300

    func validate() throws {
        guard accessTTL > 0 else { throw ValidationError("--access-ttl must be at least 1 second") }
    }

    func run() async throws {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            Terminal.info("atproto-oauth demo: needs a terminal")
            throw ExitCodes.usage
        }
        let network = DevNetwork(
            configuration: DevNetworkConfiguration(autoApprove: true, accessTokenLifetime: .seconds(accessTTL)))
        let info = try await network.start()
        let directory = try store ?? Self.makeTemporaryStore()
        defer { if store == nil { try? FileManager.default.removeItem(atPath: directory) } }
        let options = try GlobalOptions.parse(info.clientFlags + ["--store", directory])
        do {
            try await ErrorReporting.run {
                try await CommandRuntime.with(options) { runtime in
                    let service = ClientAccountsService(
                        client: runtime.client,
                        loginOptions: LoopbackLoginOptions(openBrowser: { url in
                            // A real $BROWSER wins; a machine without one logs in in-process.
                            let outcome = await LoginConfiguration.systemBrowser(url)
                            if case .launched = outcome { return outcome }
                            return InProcessBrowser.open(url)
                        }),
                        suggestedHandles: info.accounts.map(\.handle),
                        isNetworkFailure: ErrorReporting.isNetworkFailure)
                    try await TUIRunner(service: service, environment: ProcessInfo.processInfo.environment).run()
                }
            }
        } catch {
            await network.stop()
            throw error
        }
        await network.stop()
    }

    static func makeTemporaryStore() throws -> String {
        var template = Array((NSTemporaryDirectory() + "atproto-oauth-demo-XXXXXX").utf8CString)
        guard let path = mkdtemp(&template) else {
            throw ValidationError("cannot create a temporary store directory")
        }
        return String(cString: path)
    }
}

/// The demo's browser when none is installed: visits the authorization URL in-process and
/// follows the auto-approve redirect to the loopback callback, in a task of its own.
enum InProcessBrowser {
    static func open(_ url: URL) -> BrowserLauncher.Outcome {
        Task { _ = try? await LoopbackBrowser.visit(url) }
        return .launched(command: "in-process browser")
    }
}
