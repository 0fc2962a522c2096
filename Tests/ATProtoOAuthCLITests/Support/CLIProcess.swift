import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What one finished run of the binary produced.
struct CLIResult: Sendable, CustomStringConvertible {
    var arguments: [String]
    var exitCode: Int32
    /// True when the run was killed by a signal (our timeout, or a test's SIGKILL).
    var signalled: Bool
    var stdout: String
    var stderr: String

    /// Both streams, for "no secret anywhere" checks.
    var allOutput: String { stdout + "\n" + stderr }

    /// Shown by `#expect` failures: the command, the code and both streams.
    var description: String {
        """
        $ atproto-oauth \(arguments.joined(separator: " "))
        exit \(exitCode)\(signalled ? " (signal)" : "")
        --- stdout ---
        \(stdout)
        --- stderr ---
        \(stderr)
        """
    }

    /// The stdout parsed as one JSON document.
    func json() throws -> Any {
        try JSONSerialization.jsonObject(with: Data(stdout.utf8))
    }
}

/// A child process whose stdout and stderr go to files (never pipes: a chatty child can
/// never block on a full pipe, and a killed child leaves its output readable).
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    let arguments: [String]
    private let stdoutURL: URL
    private let stderrURL: URL
    private let scratch: URL

    /// Starts `executable` with `arguments` and exactly `environment`.
    init(executable: URL, arguments: [String], environment: [String: String]) throws {
        self.arguments = arguments
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "atproto-cli-proc-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        stdoutURL = scratch.appendingPathComponent("stdout")
        stderrURL = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// What the child has written so far.
    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    func signal(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Waits for the exit; after `timeout` the child is killed (SIGKILL) and the result says so.
    func wait(timeout: Duration) async -> CLIResult {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now >= deadline {
                signal(SIGKILL)
                process.waitUntilExit()
                break
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        process.waitUntilExit()
        let result = CLIResult(
            arguments: arguments, exitCode: process.terminationStatus,
            signalled: process.terminationReason == .uncaughtSignal, stdout: stdout, stderr: stderr)
        try? FileManager.default.removeItem(at: scratch)
        return result
    }
}

/// The built `atproto-oauth` binary and how the tests run it.
enum CLI {
    /// `<package root>/.build/debug/atproto-oauth`, the package root found from this file.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // ATProtoOAuthCLITests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    static let binary: URL = packageRoot.appendingPathComponent(".build/debug/atproto-oauth")

    /// The binary, or a clear failure telling the reader to build it.
    static func requireBinary() throws -> URL {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw SupportError(
                "\(binary.path) is missing: run `swift build` first (these tests drive the built binary)")
        }
        return binary
    }

    /// The environment every run gets: PATH and HOME from ours, the store and XDG state
    /// pointed into `home`, no `BROWSER` unless given, no proxies.
    static func environment(home: URL?, extra: [String: String] = [:]) -> [String: String] {
        let inherited = ProcessInfo.processInfo.environment
        var environment: [String: String] = [:]
        for key in ["PATH", "LANG", "LC_ALL", "TMPDIR"] { environment[key] = inherited[key] }
        environment["HOME"] = home?.path ?? FileManager.default.temporaryDirectory.path
        if let home {
            environment["ATPROTO_OAUTH_HOME"] = home.appendingPathComponent("store").path
            environment["XDG_STATE_HOME"] = home.appendingPathComponent("xdg-state").path
        }
        environment.merge(extra) { _, new in new }
        return environment
    }

    /// Starts the binary without waiting (for kill tests and concurrent runs).
    static func spawn(_ arguments: [String], environment: [String: String]) throws -> ChildProcess {
        try ChildProcess(executable: try requireBinary(), arguments: arguments, environment: environment)
    }

    /// Runs the binary to completion (killed after `timeout`).
    static func run(
        _ arguments: [String], environment: [String: String], timeout: Duration = .seconds(30)
    ) async throws -> CLIResult {
        let child = try spawn(arguments, environment: environment)
        return await child.wait(timeout: timeout)
    }
}

/// A failure of the test support itself (missing binary, dev server that did not start).
struct SupportError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
