import Foundation
import Testing

/// What the scripted browser (`Support/browser.py`) does with the authorization URL.
enum BrowserMode: String, Sendable {
    /// GET and follow redirects (the dev server must run with `--auto-approve`).
    case follow
    /// POST Approve / Deny on the consent page (the dev server without `--auto-approve`).
    case approve, deny
    /// Deliver the callback with a changed `state` / `iss` (R18).
    case tamperState = "tamper-state"
    case tamperISS = "tamper-iss"
    /// GET `/favicon.ico` on the listener first (404, the wait goes on), then the callback.
    case faviconFirst = "favicon-first"
    /// Do nothing: the user never comes back (the callback timeout must fire).
    case ignore
}

/// A private temporary directory per test: the store lives in `store/`, the browser log and
/// copies next to it. Removed by `cleanUp()`.
struct TestHome: Sendable {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent(
            "atproto-cli-e2e-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(
            at: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// The account store directory (`--store`); the CLI creates it.
    var store: URL { root.appendingPathComponent("store", isDirectory: true) }
    var browserLog: URL { root.appendingPathComponent("browser.log") }

    /// `store/accounts/<did>.json`, the session file the store keeps per account.
    func accountFile(_ did: String, in store: URL? = nil) -> URL {
        (store ?? self.store).appendingPathComponent("accounts/\(did).json")
    }

    /// The session file's secrets: access token, refresh token, DPoP private key `d`.
    func secrets(of did: String, in store: URL? = nil) throws -> [String: String] {
        let data = try Data(contentsOf: accountFile(did, in: store))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SupportError("the session file of \(did) is not a JSON object")
        }
        var secrets: [String: String] = [:]
        secrets["access_token"] = object["access_token"] as? String
        secrets["refresh_token"] = object["refresh_token"] as? String
        secrets["dpop_key.d"] = (object["dpop_key"] as? [String: Any])?["d"] as? String
        return secrets
    }

    var browserLogText: String { (try? String(contentsOf: browserLog, encoding: .utf8)) ?? "" }

    func cleanUp() {
        try? FileManager.default.removeItem(at: root)
    }
}

/// The scripted browser, found next to this file.
enum Browser {
    static let script: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("browser.py")

    static var python: String {
        for candidate in ["/usr/bin/python3", "/usr/local/bin/python3"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return "python3"
    }

    /// The `BROWSER` value: quoted like a shell command; the CLI appends the URL.
    static var command: String { "'\(python)' '\(script.path)'" }
}

/// One test's view of the world: a running dev network and a private store.
struct CLIHarness: Sendable {
    let server: DevServerProcess
    let home: TestHome

    /// `atproto-oauth <command> --store <home>/store <dev network flags> [--verbose]`.
    func run(
        _ command: [String], store: URL? = nil, browser: BrowserMode? = nil, verbose: Bool = false,
        timeout: Duration = .seconds(40)
    ) async throws -> CLIResult {
        let arguments =
            command + ["--store", (store ?? home.store).path] + server.clientFlags + (verbose ? ["--verbose"] : [])
        return try await CLI.run(arguments, environment: environment(browser: browser), timeout: timeout)
    }

    /// Starts a command without waiting for it (for concurrency and kill tests).
    func spawn(_ command: [String]) throws -> ChildProcess {
        try CLI.spawn(
            command + ["--store", home.store.path] + server.clientFlags, environment: environment(browser: nil))
    }

    func environment(browser: BrowserMode?) -> [String: String] {
        var extra: [String: String] = [:]
        if let browser {
            extra["BROWSER"] = Browser.command
            extra["BROWSER_MODE"] = browser.rawValue
            extra["BROWSER_LOG"] = home.browserLog.path
        }
        return CLI.environment(home: home.root, extra: extra)
    }

    /// `login <input> --json --callback-timeout 20` through the scripted browser.
    func login(
        _ input: String, browser: BrowserMode = .follow, extra: [String] = [], verbose: Bool = false
    ) async throws -> CLIResult {
        try await run(
            ["login", input, "--json", "--callback-timeout", "20"] + extra, browser: browser, verbose: verbose)
    }

    /// Logs in and requires success, returning the DID the CLI reports.
    @discardableResult
    func loggedIn(_ input: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let result = try await login(input)
        try #require(
            result.exitCode == 0, "login \(input) failed:\n\(result)\nbrowser log:\n\(home.browserLogText)",
            sourceLocation: sourceLocation)
        let report = try #require(try result.json() as? [String: Any], sourceLocation: sourceLocation)
        return try #require(report["did"] as? String, sourceLocation: sourceLocation)
    }

    /// The store's account files, by name (empty when there is no store yet).
    func accountFiles(in store: URL? = nil) -> [String] {
        let directory = (store ?? home.store).appendingPathComponent("accounts")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted()
    }
}

/// Runs `body` with a dev network started with `serverArguments` and a fresh home; both
/// are always cleaned up.
func withHarness<T>(
    _ serverArguments: [String] = ["--auto-approve"], _ body: (CLIHarness) async throws -> T
) async throws -> T {
    _ = try CLI.requireBinary()
    let home = try TestHome()
    defer { home.cleanUp() }
    return try await withDevServer(serverArguments) { server in
        try await body(CLIHarness(server: server, home: home))
    }
}
