import ATProtoOAuth
import ATProtoOAuthClient
import ATProtoOAuthLogin
import ArgumentParser
import Foundation

struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Log an account in through the browser (PAR + PKCE + DPoP) and store the session.",
        discussion: """
            The authorization URL is always printed to stderr. It is opened with $BROWSER (split like a \
            shell command, the URL appended) or xdg-open; --no-browser only prints it. A login for an \
            account already stored replaces its session only once the new one is verified, and the grant \
            of the session it replaced is then revoked. The account becomes the default.

            \(ExitCodes.helpText)
            """)

    @Argument(help: "A handle (alice.bsky.social), a DID, or a PDS/entryway URL (https://…).")
    var input: String

    @Option(help: "Port for the loopback listener on 127.0.0.1 (0 picks a free one).")
    var port: UInt16 = 0

    @Flag(name: .customLong("no-browser"), help: "Only print the authorization URL.")
    var noBrowser = false

    @Option(name: .customLong("callback-timeout"), help: "Seconds to wait for the browser to come back.")
    var callbackTimeout: Int = 300

    @Flag(help: "Print the stored account as JSON.")
    var json = false

    @OptionGroup var options: GlobalOptions

    func validate() throws {
        guard callbackTimeout > 0 else { throw ValidationError("--callback-timeout must be positive") }
    }

    func run() async throws {
        try await ErrorReporting.run {
            let loginOptions = LoopbackLoginOptions(
                port: port, callbackTimeout: .seconds(callbackTimeout),
                openBrowser: noBrowser ? LoginConfiguration.noBrowser : LoginConfiguration.systemBrowser)
            let steps = StepPrinter(enabled: true, verbose: options.verbose, output: .standardError)
            try await CommandRuntime.with(options) { runtime in
                let session = try await runtime.client.login(input, options: loginOptions) { event in
                    switch event {
                    case .step(let step):
                        steps.show(step)
                    case .authorizationURL(let url):
                        Terminal.info("Open this URL to authorize:\n  \(url.absoluteString)")
                    case .listening(let url) where options.verbose:
                        Terminal.info("listening for the callback on \(url.absoluteString)")
                    default:
                        break
                    }
                }
                let report = AccountReport(session, isDefault: true, now: Date())
                if json {
                    try Terminal.printJSON(report)
                } else {
                    Terminal.output("Logged in as \(report.name) (\(report.did)) on \(report.pds)")
                }
            }
        }
    }
}

extension GlobalOptions {
    /// `--client-id`: a hosted client-metadata URL, else the development client (R13).
    func loginClient() throws -> LoginConfiguration.Client {
        guard let clientID else { return .development }
        guard let url = URL(string: clientID), url.transportSecurityProblem(allowHTTPLoopback: allowHTTPLoopback) == nil
        else {
            throw ValidationError(
                "--client-id must be an https URL of a client-metadata document (R10), got \(clientID)")
        }
        return .hosted(url)
    }
}
