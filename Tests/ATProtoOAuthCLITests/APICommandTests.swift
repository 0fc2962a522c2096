import Foundation
import Testing

extension EndToEnd {
    /// `atproto-oauth api` (alias `request`) against the dev PDS's echoing repository calls
    /// (`listRecords` pages and echoes its query and `atproto-proxy`; `createRecord` echoes
    /// its body; `uploadBlob` answers a blob ref with the size and MIME type it received).
    @Suite("api")
    struct APICommandTests {
        @Test("GET: -f fields are query parameters, a repeated key repeats; request is an alias")
        func getWithRepeatedFields() async throws {
            try await withHarness { cli in
                let did = try await cli.loggedIn("alice.test")
                let result = try await cli.run([
                    "api", "com.atproto.repo.listRecords", "-f", "repo=\(did)", "-f", "collection=a.b.c",
                    "-f", "collection=d.e.f", "-f", "note=two words&more", "--json",
                ])
                #expect(result.exitCode == 0, "\(result)")
                let query = try Self.receivedQuery(result)
                #expect(query.filter { $0[0] == "collection" }.map { $0[1] } == ["a.b.c", "d.e.f"], "\(result)")
                #expect(query.contains(["repo", did]), "\(result)")
                #expect(query.contains(["note", "two words&more"]), "\(result)")
                #expect(result.line.split(separator: "\n").count == 1, "--json prints one compact line")

                let alias = try await cli.run(["request", "alice.test", "com.atproto.server.getSession"])
                #expect(alias.exitCode == 0, "\(alias)")
                #expect(try alias.object()["did"] as? String == did)
            }
        }

        @Test("POST: -f and typed -F fields (true, false, null, integer, @file) are a JSON object body")
        func postTypedFields() async throws {
            try await withHarness { cli in
                let did = try await cli.loggedIn("alice.test")
                let text = cli.home.root.appendingPathComponent("text.txt")
                try Data("hello from a file\n".utf8).write(to: text)
                let result = try await cli.run([
                    "api", "com.atproto.repo.createRecord", "-X", "POST", "-f", "repo=\(did)",
                    "-f", "collection=app.bsky.feed.post", "-F", "validate=true", "-F", "swap=false",
                    "-F", "rkey=null", "-F", "limit=42", "-F", "text=@\(text.path)", "-f", "count=7",
                ])
                #expect(result.exitCode == 0, "\(result)")
                let object = try result.object()
                #expect((object["uri"] as? String)?.hasPrefix("at://\(did)/app.bsky.feed.post/") == true, "\(result)")
                let received = try #require(object["received"] as? [String: Any], "\(result)")
                #expect(received["repo"] as? String == did)
                #expect(received["validate"] as? Bool == true, "\(result)")
                #expect(received["swap"] as? Bool == false, "\(result)")
                #expect(received["rkey"] is NSNull, "\(result)")
                #expect((received["limit"] as? NSNumber)?.intValue == 42, "\(result)")
                #expect(received["limit"] as? String == nil, "-F 42 is a number")
                #expect(received["count"] as? String == "7", "-f 7 stays a string:\n\(result)")
                #expect(received["text"] as? String == "hello from a file\n", "\(result)")
            }
        }

        @Test("--input - (stdin) and --input FILE: uploadBlob of a PNG, a record from a file")
        func inputFromStdinAndFile() async throws {
            try await withHarness { cli in
                let did = try await cli.loggedIn("alice.test")
                let png = TinyPNG.bytes
                let file = cli.home.root.appendingPathComponent("pixel.png")
                try png.write(to: file)

                let fromStdin = try await cli.runWithStdin(
                    ["api", "com.atproto.repo.uploadBlob", "--input", "-", "--content-type", "image/png"], stdin: file)
                #expect(fromStdin.exitCode == 0, "\(fromStdin)")
                let blob = try #require(try fromStdin.object()["blob"] as? [String: Any], "\(fromStdin)")
                #expect((blob["size"] as? NSNumber)?.intValue == png.count, "\(fromStdin)")
                #expect(blob["mimeType"] as? String == "image/png", "\(fromStdin)")
                #expect(blob["$type"] as? String == "blob")

                let fromFile = try await cli.run([
                    "api", "com.atproto.repo.uploadBlob", "--input", file.path, "--content-type", "image/png",
                ])
                #expect(fromFile.exitCode == 0, "\(fromFile)")
                let again = try #require(try fromFile.object()["blob"] as? [String: Any], "\(fromFile)")
                #expect((again["size"] as? NSNumber)?.intValue == png.count)
                #expect(
                    (again["ref"] as? [String: Any])?["$link"] as? String
                        == (blob["ref"] as? [String: Any])?["$link"] as? String, "the same bytes arrived")

                let record = cli.home.root.appendingPathComponent("record.json")
                try Data(#"{"repo":"\#(did)","collection":"app.bsky.feed.post","record":{"text":"hi"}}"#.utf8)
                    .write(to: record)
                let created = try await cli.run(["api", "com.atproto.repo.createRecord", "--input", record.path])
                #expect(created.exitCode == 0, "--input means POST with application/json:\n\(created)")
                let received = try #require(try created.object()["received"] as? [String: Any], "\(created)")
                #expect((received["record"] as? [String: Any])?["text"] as? String == "hi")

                let missing = try await cli.run(["api", "com.atproto.repo.uploadBlob", "--input", "/nonexistent"])
                #expect(missing.exitCode == 2, "\(missing)")
            }
        }

        @Test("--paginate follows cursor until none: three pages, one JSON line each")
        func paginate() async throws {
            try await withHarness { cli in
                let did = try await cli.loggedIn("alice.test")
                let result = try await cli.run([
                    "api", "com.atproto.repo.listRecords", "-f", "repo=\(did)", "-f", "collection=a.b.c", "--paginate",
                ])
                #expect(result.exitCode == 0, "\(result)")
                let lines = result.stdout.split(separator: "\n").map(String.init)
                #expect(lines.count == 3, "\(result)")
                let pages = try lines.map {
                    try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
                }
                #expect(pages.map { ($0["page"] as? NSNumber)?.intValue } == [1, 2, 3], "\(result)")
                let cursors = try pages.map { page -> String? in
                    let query = try #require((page["received"] as? [String: Any])?["query"] as? [[String]])
                    return query.first { $0[0] == "cursor" }?[1]
                }
                #expect(cursors == [nil, "2", "3"], "each page was asked with the previous page's cursor")
                #expect(pages.last?["cursor"] == nil)

                let post = try await cli.run(["api", "com.atproto.repo.createRecord", "-X", "POST", "--paginate"])
                #expect(post.exitCode == 2, "--paginate is for queries:\n\(post)")
            }
        }

        @Test("--proxy sends atproto-proxy; a malformed one is a usage error")
        func proxyHeader() async throws {
            try await withHarness { cli in
                try await cli.loggedIn("alice.test")
                let result = try await cli.run([
                    "api", "com.atproto.repo.listRecords", "--proxy", "did:web:api.bsky.app#bsky_appview", "--json",
                ])
                #expect(result.exitCode == 0, "\(result)")
                let received = try #require(try result.object()["received"] as? [String: Any], "\(result)")
                #expect(received["atprotoProxy"] as? String == "did:web:api.bsky.app#bsky_appview", "\(result)")

                let bad = try await cli.run(["api", "com.atproto.repo.listRecords", "--proxy", "api.bsky.app"])
                #expect(bad.exitCode == 2, "\(bad)")
                #expect(bad.stderr.contains("DID#SERVICE"), "\(bad)")
            }
        }

        @Test("-i prints the status line and the response headers before the body")
        func includeHeaders() async throws {
            try await withHarness { cli in
                let did = try await cli.loggedIn("alice.test")
                let result = try await cli.run(["api", "-i", "com.atproto.server.getSession"])
                #expect(result.exitCode == 0, "\(result)")
                let parts = result.stdout.components(separatedBy: "\n\n")
                #expect(parts.count >= 2, "\(result)")
                let headerLines = parts[0].split(separator: "\n").map(String.init)
                #expect(headerLines.first == "HTTP/1.1 200 OK", "\(result)")
                #expect(
                    headerLines.contains { $0.lowercased().hasPrefix("content-type: application/json") }, "\(result)")
                #expect(parts.dropFirst().joined(separator: "\n\n").contains(did), "\(result)")
            }
        }

        @Test("a non-2xx answer exits 7 with the XRPC error and message on stderr")
        func non2xx() async throws {
            try await withHarness { cli in
                try await cli.loggedIn("alice.test")
                let result = try await cli.run(["api", "com.atproto.repo.listRecords", "-f", "cursor=99"])
                #expect(result.exitCode == 7, "\(result)")
                #expect(result.stderr.contains("HTTP 400"), "\(result)")
                #expect(result.stderr.contains("InvalidRequest"), "\(result)")
                #expect(result.stderr.contains("unknown cursor"), "\(result)")
                #expect(result.stdout.isEmpty, "\(result)")

                let unknown = try await cli.run(["api", "com.example.nothing.here"])
                #expect(unknown.exitCode == 7, "\(unknown)")
                #expect(unknown.stderr.contains("NotFound"), "\(unknown)")
            }
        }

        @Test("R28: a ScopeMissingError names the scope to log in with")
        func scopeMissingHint() async throws {
            try await withHarness { cli in
                let login = try await cli.login("alice.test", extra: ["--scope", "atproto repo:app.bsky.feed.like"])
                try #require(login.exitCode == 0, "\(login)")
                let did = try #require(try login.object()["did"] as? String, "\(login)")
                let allowed = try await cli.run([
                    "api", "com.atproto.repo.createRecord", "-X", "POST", "-f", "repo=\(did)",
                    "-f", "collection=app.bsky.feed.like",
                ])
                #expect(allowed.exitCode == 0, "the granted collection works:\n\(allowed)")

                let refused = try await cli.run([
                    "api", "com.atproto.repo.createRecord", "-X", "POST", "-f", "repo=\(did)",
                    "-f", "collection=app.bsky.feed.post",
                ])
                #expect(refused.exitCode == 7, "\(refused)")
                #expect(refused.stderr.contains("HTTP 403"), "\(refused)")
                #expect(refused.stderr.contains("ScopeMissingError"), "\(refused)")
                #expect(refused.stderr.contains("hint:"), "\(refused)")
                #expect(
                    refused.stderr.contains(
                        "--scope 'atproto repo:app.bsky.feed.like repo:app.bsky.feed.post?action=create'"),
                    "\(refused)")
            }
        }

        @Test("production mode: api --paginate and uploadBlob over TLS through HTTPS_PROXY with --ca-file")
        func productionMode() async throws {
            try await withHarness(["--tls", "--auto-approve"]) { cli in
                let bob = try #require(cli.server.info.accounts.first { $0.handle.hasPrefix("bob.") })
                let login = try await cli.production(
                    ["login", bob.handle, "--json", "--callback-timeout", "20"], browser: .follow)
                #expect(login.exitCode == 0, "\(login)\nbrowser log:\n\(cli.home.browserLogText)")
                guard login.exitCode == 0 else { return }

                let pages = try await cli.production([
                    "api", "com.atproto.repo.listRecords", "--paginate", "--proxy", "did:web:api.bsky.app#bsky_appview",
                ])
                #expect(pages.exitCode == 0, "\(pages)")
                #expect(pages.stdout.split(separator: "\n").count == 3, "\(pages)")
                #expect(pages.stdout.contains("did:web:api.bsky.app#bsky_appview"), "\(pages)")

                let file = cli.home.root.appendingPathComponent("pixel.png")
                try TinyPNG.bytes.write(to: file)
                let upload = try await cli.production([
                    "api", "com.atproto.repo.uploadBlob", "--input", file.path, "--content-type", "image/png", "--json",
                ])
                #expect(upload.exitCode == 0, "\(upload)")
                #expect(upload.stdout.contains("\"size\":\(TinyPNG.bytes.count)"), "\(upload)")
            }
        }

        /// `received.query` of a `listRecords` answer: the query items the PDS saw, in order.
        static func receivedQuery(_ result: CLIResult) throws -> [[String]] {
            let received = try #require(try result.object()["received"] as? [String: Any], "\(result)")
            return try #require(received["query"] as? [[String]], "\(result)")
        }
    }
}

extension CLIHarness {
    /// Runs the binary like `run`, with `stdin` as its standard input.
    func runWithStdin(_ command: [String], stdin: URL, timeout: Duration = .seconds(40)) async throws -> CLIResult {
        let process = Process()
        process.executableURL = try CLI.requireBinary()
        process.arguments = command + ["--store", home.store.path] + server.clientFlags
        process.environment = environment(browser: nil)
        let scratch = home.root.appendingPathComponent("stdin-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let out = scratch.appendingPathComponent("stdout")
        let err = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardInput = try FileHandle(forReadingFrom: stdin)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return CLIResult(
            arguments: command, exitCode: process.terminationStatus,
            signalled: process.terminationReason == .uncaughtSignal,
            stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }
}

/// A valid 1×1 grey PNG, built here (signature, IHDR, one stored-deflate IDAT, IEND).
enum TinyPNG {
    static let bytes: Data = {
        var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // 1×1, bit depth 8, colour type 0 (grey), deflate, adaptive filters, no interlace.
        png += chunk("IHDR", [0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0])
        let scanline: [UInt8] = [0x00, 0x7F]  // filter none, one grey pixel
        var zlib: [UInt8] = [0x78, 0x01, 0x01, 0x02, 0x00, 0xFD, 0xFF] + scanline
        zlib += bigEndian(adler32(scanline))
        png += chunk("IDAT", zlib)
        png += chunk("IEND", [])
        return png
    }()

    private static func chunk(_ type: String, _ data: [UInt8]) -> Data {
        let typed = Array(type.utf8) + data
        return Data(bigEndian(UInt32(data.count)) + typed + bigEndian(crc32(typed)))
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    private static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    private static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return b << 16 | a
    }
}
