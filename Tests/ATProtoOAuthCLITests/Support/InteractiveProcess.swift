import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The binary run with a pipe on its stdin (for `login --paste`), stdout and stderr in files
/// like `ChildProcess`, so a test can type lines while the command runs.
final class InteractiveProcess: @unchecked Sendable {
    let process = Process()
    let arguments: [String]
    private let input = Pipe()
    private let stdoutURL: URL
    private let stderrURL: URL
    private let scratch: URL

    init(_ arguments: [String], environment: [String: String]) throws {
        self.arguments = arguments
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "atproto-cli-tty-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        stdoutURL = scratch.appendingPathComponent("stdout")
        stderrURL = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.executableURL = try CLI.requireBinary()
        process.arguments = arguments
        process.environment = environment
        process.standardInput = input
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()
    }

    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }
    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }

    /// Types one line (a newline is added).
    func type(_ line: String) throws {
        try input.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
    }

    /// Waits until stderr contains `text` (or the process ends, or `timeout` passes).
    func waitForStderr(_ text: String, timeout: Duration = .seconds(20)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if stderr.contains(text) { return true }
            if !process.isRunning { return stderr.contains(text) }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// Closes stdin and waits for the exit; after `timeout` the child is killed.
    func finish(timeout: Duration = .seconds(30)) async -> CLIResult {
        try? input.fileHandleForWriting.close()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now >= deadline {
                kill(process.processIdentifier, SIGKILL)
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
