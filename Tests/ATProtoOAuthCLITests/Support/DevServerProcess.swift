import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The one JSON line `atproto-oauth dev-server` prints on stdout once it listens.
struct DevServerInfo: Codable, Sendable {
    struct Account: Codable, Sendable {
        var handle: String
        var did: String
        var pds: String
    }

    var plc: String
    var entryway: String
    var pds: [String]
    var handleResolver: String
    var dns: String
    var accounts: [Account]
    var clientFlags: [String]
    /// `dev-server --tls` only: the CONNECT proxy (the client's `HTTPS_PROXY`) and the CA file.
    var proxy: String?
    var caFile: String?

    func account(_ handle: String) throws -> Account {
        guard let account = accounts.first(where: { $0.handle == handle }) else {
            throw SupportError("the dev server seeds no \(handle); it has \(accounts.map(\.handle))")
        }
        return account
    }
}

/// `atproto-oauth dev-server …` as a child process: started, its info line parsed, and
/// stopped with SIGTERM (SIGKILL if it lingers). Its stderr stays readable for secret checks.
final class DevServerProcess: Sendable {
    let info: DevServerInfo
    private let child: ChildProcess

    private init(info: DevServerInfo, child: ChildProcess) {
        self.info = info
        self.child = child
    }

    /// Starts the dev network with `arguments` (e.g. `["--auto-approve", "--access-ttl", "2"]`).
    static func start(_ arguments: [String]) async throws -> DevServerProcess {
        let child = try CLI.spawn(["dev-server"] + arguments, environment: CLI.environment(home: nil))
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let out = child.stdout
            if let newline = out.firstIndex(of: "\n") {
                let line = String(out[..<newline])
                do {
                    let info = try JSONDecoder().decode(DevServerInfo.self, from: Data(line.utf8))
                    return DevServerProcess(info: info, child: child)
                } catch {
                    let result = await stop(child)
                    throw SupportError("dev-server printed a line that is not its info JSON (\(error)):\n\(result)")
                }
            }
            if !child.isRunning {
                let result = await child.wait(timeout: .seconds(1))
                throw SupportError("dev-server exited before printing its info line:\n\(result)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let result = await stop(child)
        throw SupportError("dev-server printed no info line within 20 s:\n\(result)")
    }

    private static func stop(_ child: ChildProcess) async -> CLIResult {
        child.signal(SIGTERM)
        return await child.wait(timeout: .seconds(5))
    }

    /// What the dev server has logged so far.
    var stderr: String { child.stderr }

    /// SIGTERM, then wait (SIGKILL after 5 s). Returns its exit and full output.
    @discardableResult
    func stop() async -> CLIResult {
        await Self.stop(child)
    }

    /// The global flags that point the CLI at this network.
    var clientFlags: [String] { info.clientFlags }
}

/// Runs `body` with a fresh dev network, always stopping it afterwards.
func withDevServer<T>(
    _ arguments: [String], _ body: (DevServerProcess) async throws -> T
) async throws -> T {
    let server = try await DevServerProcess.start(arguments)
    do {
        let value = try await body(server)
        await server.stop()
        return value
    } catch {
        await server.stop()
        throw error
    }
}
