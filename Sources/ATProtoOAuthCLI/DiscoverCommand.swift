import ATProtoDiscovery
import ATProtoHTTP
import ATProtoOAuth
import ArgumentParser
import Foundation

/// `atproto-oauth discover <input>`: resolve a handle, DID or server URL to its
/// authorization server, printing each step as it finishes (R1–R9).
struct DiscoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discover",
        abstract: "Resolve a handle, DID or PDS/entryway URL to its authorization server and check both documents.",
        discussion: """
            Steps, in order: resolve-handle, resolve-did, verify-handle, pds-endpoint, resource-metadata, \
            authorization-server-metadata, profile-checks. Exit status: 0 on success, 2 for usage errors, \
            3 when discovery fails (the failing step and its reason go to stderr).
            """
    )

    @Argument(help: "A handle (alice.bsky.social), a DID (did:plc:…) or a server URL (https://bsky.social).")
    var input: String

    @Flag(help: "Print one JSON object instead of lines.")
    var json = false

    @Flag(name: .customLong("no-cache"), help: "Bypass the in-memory identity cache (R7).")
    var noCache = false

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let login: LoginInput
        let discovery: Discovery
        let transport: HTTPClientTransport
        do {
            do {
                login = try Discovery.input(input, allowHTTPLoopback: options.allowHTTPLoopback)
            } catch let error as DiscoveryError {
                throw ValidationError(error.reason)
            }
            var configuration = try options.discoveryConfiguration()
            configuration.useCache = !noCache
            let resolver = try options.makeTXTResolver()
            transport = try options.makeTransport()
            discovery = Discovery(
                transport: transport, txtResolver: resolver, configuration: configuration, cache: IdentityCache())
        } catch let error as ValidationError {
            // ArgumentParser would exit 64 (EX_USAGE); the documented usage status is 2.
            let usage = ATProtoOAuthCommand.usageString(for: DiscoverCommand.self)
            FileHandle.standardError.write(
                Data(
                    "Error: \(error.message)\nUsage: \(usage)\n  See 'atproto-oauth discover --help' for more information.\n"
                        .utf8))
            throw ExitCodes.usage
        }

        let printer = StepPrinter(enabled: !json, verbose: options.verbose)
        let outcome: Result<DiscoveryResult, any Error>
        do {
            outcome = .success(try await discovery.discover(login) { printer.show($0) })
        } catch {
            outcome = .failure(error)
        }
        try await transport.shutdown()

        switch outcome {
        case .success(let result):
            if json {
                print(try DiscoverOutput(result).jsonString())
            } else {
                print(DiscoverOutput.summary(result))
            }
        case .failure(let error):
            let reason = (error as? DiscoveryError)?.description ?? "\(error)"
            FileHandle.standardError.write(Data("discover: \(reason)\n".utf8))
            throw ExitCodes.discoveryFailed
        }
    }
}

/// Prints one line per step as it finishes (✓ ok, ✗ failed, – skipped), with the
/// sub-results known at that moment; later sub-results only with `--verbose`.
final class StepPrinter: @unchecked Sendable {
    private let lock = NSLock()
    private var printed: [String: Int] = [:]
    private var announced: Set<String> = []
    private let enabled: Bool
    private let verbose: Bool
    private let output: FileHandle

    /// - Parameter output: stdout for `discover` (the steps are its result); stderr for `login`,
    ///   whose stdout carries the account.
    init(enabled: Bool, verbose: Bool, output: FileHandle = .standardOutput) {
        self.enabled = enabled
        self.verbose = verbose
        self.output = output
    }

    func show(_ step: FlowStep) {
        guard enabled else { return }
        lock.withLock {
            if verbose, step.status == .running, announced.insert(step.name).inserted {
                FileHandle.standardError.write(Data("… \(step.name) \(step.target ?? "")\n".utf8))
            }
            guard step.status.isFinished else { return }
            if let count = printed[step.name] {
                if verbose {
                    for line in step.subresults.dropFirst(count) { write("    \(line)") }
                }
                printed[step.name] = step.subresults.count
                return
            }
            write(Self.line(step))
            for line in step.subresults { write("    \(line)") }
            printed[step.name] = step.subresults.count
        }
    }

    static func line(_ step: FlowStep) -> String {
        let mark =
            switch step.status {
            case .ok: "✓"
            case .failed: "✗"
            default: "–"
            }
        let name = step.name.padding(toLength: 30, withPad: " ", startingAt: 0)
        let ms = step.milliseconds.map { "\($0) ms" } ?? ""
        return "\(mark) \(name) \(ms.leftPadded(to: 7))  \(step.detail)"
    }

    private func write(_ line: String) {
        output.write(Data((line + "\n").utf8))
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
