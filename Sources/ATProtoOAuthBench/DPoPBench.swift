import ATProtoOAuth
import Foundation

/// Issue 13's signing figure: DPoP proofs per second on one core, next to `openssl speed
/// ecdsap256`'s ECDSA P-256 signs per second on the same machine in the same run (target:
/// at least 70 % of it).
///
/// A proof is the whole job a request pays: header and claims as JSON, a fresh `jti` from the
/// CSPRNG, `ath` (SHA-256 of the access token), base64url, and the ES256 signature. The raw
/// signature rate of the same key (swift-crypto over BoringSSL) is printed too, so the cost of
/// the JSON and encoding around it shows.
enum DPoPBench {
    static func run(seconds: Double) throws -> [Figure] {
        let key = DPoPKey.generate()
        guard let url = URL(string: "https://pds.example.com/xrpc/com.atproto.server.getSession") else {
            throw BenchError("cannot form the request URL")
        }
        let accessToken = String(repeating: "a", count: 64)
        let now = Date()
        progress("dpop: proofs and bare signatures for \(Figure.format(seconds)) s each, one core")
        let proofs = try rate(seconds: seconds) {
            _ = try DPoPProof.make(
                key: key, method: "GET", url: url, nonce: "nonce-abc", accessToken: accessToken, now: now)
        }
        let message = Data(repeating: 0x2e, count: 300)  // about a proof's signing input
        let signatures = try rate(seconds: seconds) { _ = try key.sign(message) }
        var figures = [
            Figure("dpop.proofs_per_second", proofs, "proofs/s", note: "DPoPProof.make with nonce and ath, one thread"),
            Figure("dpop.signatures_per_second", signatures, "signs/s", note: "DPoPKey.sign alone (swift-crypto)"),
        ]
        if let openssl = opensslSignRate(seconds: Int(seconds.rounded(.up))) {
            let ratio = proofs / openssl
            figures.append(
                Figure(
                    "dpop.vs_openssl", ratio * 100, "%", target: "≥ 70 % of openssl's sign/s", pass: ratio >= 0.7,
                    note: "openssl speed -seconds \(Int(seconds.rounded(.up))) ecdsap256: "
                        + "\(Figure.format(openssl)) sign/s on this machine, this run"))
        } else {
            progress("dpop: `openssl speed ecdsap256` did not run; no comparison")
        }
        return figures
    }

    /// Calls `body` repeatedly for about `seconds` on this thread; calls per second.
    private static func rate(seconds: Double, _ body: () throws -> Void) throws -> Double {
        for _ in 0..<200 { try body() }  // warm up
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .milliseconds(Int64(seconds * 1000))
        var count = 0
        while clock.now < deadline {
            for _ in 0..<100 { try body() }
            count += 100
        }
        return Double(count) / (clock.now - start).milliseconds * 1000
    }

    /// `sign/s` from `openssl speed -seconds N ecdsap256` (one process, one core).
    private static func opensslSignRate(seconds: Int) -> Double? {
        guard let text = runWithCleanSignals("/usr/bin/openssl", ["speed", "-seconds", "\(seconds)", "ecdsap256"])
        else { return nil }
        // "256 bits ecdsa (nistp256)   0.0000s   0.0001s  41838.8  14467.3"
        let line = text.split(separator: "\n").first { $0.contains("(nistp256)") }
        let numbers = line?.split(separator: " ").compactMap { Double($0) } ?? []
        return numbers.count >= 3 ? numbers[numbers.count - 2] : nil
    }

    /// Runs a program to completion and returns its standard output, or `nil` if it could not
    /// run or failed. Through `posix_spawn` with an empty signal mask: `openssl speed` stops
    /// each measurement with SIGALRM, which this process's threads block and Foundation's
    /// `Process` would pass on, so openssl would never stop.
    private static func runWithCleanSignals(_ executable: String, _ arguments: [String]) -> String? {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString).out")
        defer { try? FileManager.default.removeItem(at: output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, executable, &actions, &attributes, argv, environ) == 0 else { return nil }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        guard status == 0, let data = try? Data(contentsOf: output) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
