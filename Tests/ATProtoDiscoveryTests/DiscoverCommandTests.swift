import ATProtoDevServer
import Foundation
import Testing

/// `atproto-oauth` next to the test bundle (`swift build --build-tests` builds both).
enum BuiltBinary {
    static let url: URL? = {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [directory, directory.deletingLastPathComponent()] {
            let url = candidate.appending(path: "atproto-oauth")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }()
}

/// Runs the built `atproto-oauth` binary against a dev network and checks what a person or
/// script sees: the step lines, the summary, `--json`, and the exit codes 0, 2 and 3.
@Suite("atproto-oauth discover (built binary)", .serialized, .enabled(if: BuiltBinary.url != nil))
struct DiscoverCommandTests {
    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    private func run(_ arguments: [String]) async throws -> Output {
        let process = Process()
        process.executableURL = BuiltBinary.url
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["ATPROTO_OAUTH_HOME"] = FileManager.default.temporaryDirectory.appending(path: "discover-cli").path
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        // The dev network serves from this process's cooperative pool: never block it.
        // Pipes are drained on dispatch threads and the exit is awaited, not waited for.
        let exited = AsyncStream<Int32> { continuation in
            process.terminationHandler = {
                continuation.yield($0.terminationStatus); continuation.finish()
            }
        }
        try process.run()
        async let stdout = Self.drain(out)
        async let stderr = Self.drain(err)
        var status: Int32 = -1
        for await code in exited { status = code }
        let (stdoutData, stderrData) = await (stdout, stderr)
        return Output(
            status: status, stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: String(decoding: stderrData, as: UTF8.self))
    }

    private static func drain(_ pipe: Pipe) async -> Data {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: pipe.fileHandleForReading.readDataToEndOfFile())
            }
        }
    }

    private func withNetwork(_ body: (DevNetworkInfo) async throws -> Void) async throws {
        let network = DevNetwork()
        let info = try await network.start()
        do { try await body(info) } catch {
            await network.stop()
            throw error
        }
        await network.stop()
    }

    @Test("human output: one line per step, then the summary and checks; exit 0")
    func humanOutput() async throws {
        try await withNetwork { info in
            let output = try await run(["discover", "alice.test"] + info.clientFlags)
            #expect(output.status == 0, "\(output.stderr)")
            let lines = output.stdout.split(separator: "\n").map(String.init)
            for name in [
                "resolve-handle", "resolve-did", "verify-handle", "pds-endpoint", "resource-metadata",
                "authorization-server-metadata", "profile-checks",
            ] {
                #expect(lines.contains { $0.hasPrefix("✓ \(name) ") }, "\(output.stdout)")
            }
            #expect(lines.contains("DID     did:plc:alicetestdevaccount2222a"))
            #expect(lines.contains("handle  alice.test ✓ verified"))
            #expect(lines.contains("issuer  \(info.entryway)"))
            #expect(lines.contains { $0.hasPrefix("  ✓ R9 issuer:") })
        }
    }

    @Test("--json: one object with the documented keys")
    func jsonOutput() async throws {
        try await withNetwork { info in
            let output = try await run(["discover", "carol.test", "--json"] + info.clientFlags)
            #expect(output.status == 0, "\(output.stderr)")
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
            #expect(
                Set(object.keys) == [
                    "input", "did", "handle", "handleVerified", "pds", "issuer", "resourceMetadata",
                    "authorizationServerMetadata", "checks", "steps",
                ])
            #expect(object["did"] as? String == "did:plc:caroltestdevaccount22222")
            #expect(object["handleVerified"] as? Bool == true)
            #expect(object["issuer"] as? String == info.pds[1])
            let steps = try #require(object["steps"] as? [[String: Any]])
            #expect(steps.count == 7)
            #expect(steps.allSatisfy { Set($0.keys) == ["step", "status", "ms", "detail"] })
            let checks = try #require(object["checks"] as? [[String: Any]])
            #expect(checks.allSatisfy { $0["ok"] as? Bool == true })
        }
    }

    @Test("R4: a failing discovery exits 3 with the step and reason on stderr")
    func discoveryFailure() async throws {
        try await withNetwork { info in
            let output = try await run(["discover", "did:plc:zzzzzzzzzzzzzzzzzzzzzzzz"] + info.clientFlags)
            #expect(output.status == 3)
            #expect(output.stderr.contains("resolve-did failed (R4)"), "\(output.stderr)")
            #expect(output.stdout.contains("✗ resolve-did"))
        }
    }

    @Test(
        "R2: a disallowed TLD fails before any request (exit 3, the TLD named)",
        arguments: ["alice.local", "bob.onion", "carol.example", "dave.internal", "eve.alt", "x.localhost"])
    func disallowedTLD(handle: String) async throws {
        let network = DevNetwork()
        let info = try await network.start()
        let output = try await run(["discover", handle] + info.clientFlags)
        let requests = await network.requestLog()
        await network.stop()
        #expect(output.status == 3, "\(output.stderr)")
        #expect(output.stderr.contains("R2"), "\(output.stderr)")
        let tld = handle.split(separator: ".").last.map(String.init) ?? ""
        #expect(output.stderr.contains(".\(tld)"), "\(output.stderr)")
        #expect(requests.isEmpty, "requests were sent for \(handle): \(requests.map(\.path))")
    }

    @Test("R2: a .test handle resolves only in development mode")
    func testTLDOutsideDevelopment() async throws {
        try await withNetwork { info in
            // Production mode (no --allow-http-loopback): refused before DNS or HTTP.
            let output = try await run(
                ["discover", "alice.test", "--dns-server", info.dns, "--plc-url", "https://127.0.0.1:1"])
            #expect(output.status == 3, "\(output.stderr)")
            #expect(output.stderr.contains("R2"), "\(output.stderr)")
            #expect(output.stderr.contains(".test"), "\(output.stderr)")
        }
    }

    @Test("R2: an invalid handle is a usage error (exit 2)")
    func usageError() async throws {
        let output = try await run(["discover", "not a handle!"])
        #expect(output.status == 2)
        #expect(output.stderr.contains("not a handle, DID or https server URL"), "\(output.stderr)")
    }

    @Test("R29: plain http --plc-url without --allow-http-loopback is a usage error")
    func insecurePLCURL() async throws {
        let output = try await run(["discover", "alice.test", "--plc-url", "http://127.0.0.1:1"])
        #expect(output.status == 2)
        #expect(output.stderr.contains("--allow-http-loopback"), "\(output.stderr)")
    }
}
