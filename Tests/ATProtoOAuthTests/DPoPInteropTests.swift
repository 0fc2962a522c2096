import Foundation
import Testing

@testable import ATProtoOAuth

/// Cross-checks our proofs with an independent JOSE implementation (Python joserfc) through
/// `scripts/verify_dpop_proofs.py`, so a bug shared by our signer and our verifier cannot hide.
@Suite("DPoP interop with joserfc (R22)")
struct DPoPInteropTests {
    static let packageRoot = URL(filePath: #filePath)
        .deletingLastPathComponent()  // ATProtoOAuthTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root

    /// `ATPROTO_OAUTH_PYTHON`, else the package's `.venv` (created by `.ci/run`).
    static func python() -> URL? {
        let fileManager = FileManager.default
        if let configured = ProcessInfo.processInfo.environment["ATPROTO_OAUTH_PYTHON"], !configured.isEmpty,
            fileManager.isExecutableFile(atPath: configured)
        {
            return URL(filePath: configured)
        }
        let venv = packageRoot.appending(path: ".venv/bin/python")
        return fileManager.isExecutableFile(atPath: venv.path(percentEncoded: false)) ? venv : nil
    }

    static let urls = [
        "https://pds.example.com/xrpc/com.atproto.server.getSession",
        "https://PDS.Example.COM/xrpc/app.bsky.actor.getProfile?actor=did%3Aplc%3Aabc&x=1",
        "https://as.example.com:443/oauth/token#fragment",
        "https://as.example.com/oauth/par?",
        "http://127.0.0.1:2583/oauth/revoke?token=1#f",
        "http://[::1]:8080/xrpc/com.atproto.repo.createRecord",
        "https://example.com",
        "https://example.com/a%20b/c;p?q=%2F#frag",
    ]
    static let methods = ["GET", "POST", "PUT", "DELETE", "post"]

    private struct Line: Encodable {
        let proof: String
        let method: String
        let url: String
        let nonce: String?
        let access_token: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(proof, forKey: .proof)
            try container.encode(method, forKey: .method)
            try container.encode(url, forKey: .url)
            try container.encode(nonce, forKey: .nonce)  // explicit null
            try container.encode(access_token, forKey: .access_token)
        }
        enum CodingKeys: String, CodingKey { case proof, method, url, nonce, access_token }
    }

    @Test("R22: ≥120 proofs verify under joserfc (scripts/verify_dpop_proofs.py)")
    func joserfcVerifiesProofs() async throws {
        guard let python = Self.python() else {
            Issue.record("no Python with joserfc: set ATPROTO_OAUTH_PYTHON or run .ci/run (creates .venv with joserfc)")
            return
        }
        let now = Date()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        var lines: [String] = []
        var count = 0
        for round in 0..<4 {
            let key = DPoPKey.generate()  // several keys, as several sessions would have (R17)
            for url in Self.urls {
                for method in Self.methods {
                    count += 1
                    let nonce = count % 2 == 0 ? "nonce-\(round)-\(count)" : nil
                    let token = count % 3 == 0 ? "at-\(DPoPProof.makeJTI())~.\(count)" : nil
                    let proof = try DPoPProof.make(
                        key: key, method: method, url: try #require(URL(string: url)), nonce: nonce,
                        accessToken: token, now: now)
                    let line = Line(proof: proof, method: method, url: url, nonce: nonce, access_token: token)
                    lines.append(String(decoding: try encoder.encode(line), as: UTF8.self))
                }
            }
        }
        #expect(lines.count >= 120)

        let file = FileManager.default.temporaryDirectory.appending(path: "dpop-proofs-\(UUID().uuidString).jsonl")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }

        let process = Process()
        process.executableURL = python
        process.arguments = [
            Self.packageRoot.appending(path: "scripts/verify_dpop_proofs.py").path(percentEncoded: false),
            file.path(percentEncoded: false),
        ]
        // Output goes to files and the exit is awaited, so no thread of the cooperative pool
        // blocks on the child (on 2 cores that would stall every other test).
        let outputFile = file.appendingPathExtension("out")
        let errorFile = file.appendingPathExtension("err")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outputFile)
            try? FileManager.default.removeItem(at: errorFile)
        }
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = try FileHandle(forWritingTo: errorFile)
        let (exits, exited) = AsyncStream.makeStream(of: Void.self)
        process.terminationHandler = { _ in exited.finish() }
        try process.run()
        for await _ in exits {}
        let output = String(decoding: try Data(contentsOf: outputFile), as: UTF8.self)
        let errors = String(decoding: try Data(contentsOf: errorFile), as: UTF8.self)

        #expect(process.terminationStatus == 0, "verifier failed:\n\(output)\(errors)")
        let summary = output.split(separator: "\n").last.map(String.init) ?? ""
        let verified = summary.split(separator: " ").first.flatMap { Int($0) } ?? 0
        #expect(verified >= 100, "summary: \(summary)\n\(errors)")
        #expect(summary == "\(lines.count) verified, 0 failed", "\(summary)\n\(errors)")
    }
}
