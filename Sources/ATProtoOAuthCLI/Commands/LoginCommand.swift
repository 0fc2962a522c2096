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

            Over SSH, when the browser runs on another machine and cannot reach this one's loopback \
            listener, use --paste: open the URL there, approve, then paste the address the browser \
            ended on (it fails to load; copy it from the address bar) into this terminal. It is \
            checked exactly as the listener checks a callback; a paste that is not this login's \
            callback is refused and you can paste again. The listener keeps running: whichever \
            answers first wins.

            \(ExitCodes.helpText)
            """)

    @Argument(help: "A handle (alice.bsky.social), a DID, or a PDS/entryway URL (https://…).")
    var input: String

    @Option(help: "Port for the loopback listener on 127.0.0.1 (0 picks a free one).")
    var port: UInt16 = 0

    @Flag(name: .customLong("no-browser"), help: "Only print the authorization URL.")
    var noBrowser = false

    @Flag(
        help: """
            Also read the address the browser ended on (or its query) from stdin, for a browser on \
            another machine (over SSH).
            """)
    var paste = false

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
            var loginOptions = LoopbackLoginOptions(
                port: port, callbackTimeout: .seconds(callbackTimeout),
                openBrowser: noBrowser ? LoginConfiguration.noBrowser : LoginConfiguration.systemBrowser)
            let environment = ProcessInfo.processInfo.environment
            if !paste && Self.pasteWouldHelp(environment: environment) {
                Terminal.info(
                    "hint: over SSH with no browser on this machine? `atproto-oauth login --paste` lets you "
                        + "paste the address the browser ended on here.")
            }
            if paste {
                loginOptions.pastedCallbacks = PastedCallbacks(lines: Self.standardInputLines()) { reason in
                    Terminal.info("Not this login's callback: \(reason). Paste the address again:")
                }
            }
            let steps = StepPrinter(enabled: true, verbose: options.verbose, output: .standardError)
            try await CommandRuntime.with(options) { runtime in
                let session = try await runtime.client.login(input, options: loginOptions) { event in
                    switch event {
                    case .step(let step):
                        steps.show(step)
                    case .authorizationURL(let url):
                        Terminal.info("Open this URL to authorize:\n  \(url.absoluteString)")
                        if paste {
                            Terminal.info(
                                "Then paste the address the browser ended on (it may fail to load) and press Enter:")
                        }
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

extension LoginCommand {
    /// Over SSH (`SSH_CONNECTION`) with no display and no `BROWSER`, the browser that opens the
    /// URL is elsewhere and cannot reach our loopback listener: `--paste` is the way in.
    static func pasteWouldHelp(environment: [String: String]) -> Bool {
        func isSet(_ name: String) -> Bool { !(environment[name] ?? "").isEmpty }
        return isSet("SSH_CONNECTION") && !isSet("DISPLAY") && !isSet("BROWSER")
    }

    /// stdin, line by line, read on a thread of its own (a blocking read); the stream ends at
    /// end of input. The lines may hold an authorization code: they are never echoed.
    static func standardInputLines() -> AsyncStream<String> {
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        Thread.detachNewThread {
            while let line = readLine(strippingNewline: true) {
                if case .terminated = continuation.yield(line) { return }
            }
            continuation.finish()
        }
        return lines
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
