import ATProtoAccountStore
import ATProtoOAuth
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A process killed with SIGKILL mid-save or mid-lock leaves a store that still loads every
/// account, and a lock the next process can take. The writer is this test binary itself,
/// re-run with a filter selecting `writerUntilKilled` (forking a Swift process is unsafe).
@Suite("AccountStore crash safety")
struct AccountStoreCrashTests {
    static let helperVariable = "ACCOUNTSTORE_CRASH_WRITER_STORE"
    static let dids = ["did:plc:crash1", "did:plc:crash2", "did:plc:crash3"]

    static var testBinary: URL? {
        guard let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
            return nil
        }
        return URL(fileURLWithPath: path)
    }

    static var isChild: Bool { ProcessInfo.processInfo.environment[helperVariable] != nil }

    @Test(
        "kill -9 during saves and locked sections, 10 times: every account still loads, the lock is free",
        .enabled(if: !isChild && testBinary != nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/flock")))
    func survivesKillNine() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanUp() }
        let store = temporary.store
        for did in Self.dids { try store.save(try SessionFactory.make(did: did, handle: nil)) }
        let binary = try #require(Self.testBinary)
        let ready = temporary.root.appendingPathComponent("ready")

        for round in 0..<10 {
            try? FileManager.default.removeItem(at: ready)
            let child = Process()
            child.executableURL = binary
            child.arguments = ["--testing-library", "swift-testing", "--filter", "writerUntilKilled"]
            var environment = ProcessInfo.processInfo.environment
            environment[Self.helperVariable] = store.directory.path
            child.environment = environment
            // The child's report, shown if it stops by itself (it should only ever be killed).
            let report = temporary.root.appendingPathComponent("child-\(round).log")
            _ = FileManager.default.createFile(atPath: report.path, contents: nil)
            let reportHandle = try FileHandle(forWritingTo: report)
            defer { try? reportHandle.close() }
            child.standardOutput = reportHandle
            child.standardError = reportHandle
            let exited = try AccountStoreLockTests.start(child)
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(30)
            while !FileManager.default.fileExists(atPath: ready.path), child.isRunning, clock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(
                child.isRunning,
                "round \(round): the writer must still be writing when killed; it said: \(Self.tail(of: report))")
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...40)))
            kill(child.processIdentifier, SIGKILL)
            _ = await exited.value
            #expect(child.terminationReason == .uncaughtSignal)

            let listing = store.loadAll()
            #expect(listing.problems.isEmpty, "round \(round): \(listing.problems)")
            #expect(listing.sessions.map(\.did.rawValue) == Self.dids, "round \(round)")
            for did in Self.dids {
                #expect(try await AccountStoreLockTests.runFlock(store.lockFileURL(for: try DID(did))) == 0)
            }
            // R24: the next holder of each lock finishes or discards what the killed writer left.
            for did in Self.dids {
                let loaded = try await store.withLock(try DID(did)) { try store.load(try DID(did)) }
                #expect(loaded.did.rawValue == did)
            }
            let files = try FileManager.default.contentsOfDirectory(
                atPath: store.directory.appendingPathComponent("accounts").path)
            #expect(files.sorted() == Self.dids.map { $0 + ".json" }, "round \(round): no temporary file left")
        }
    }

    private static func tail(of file: URL) -> String {
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        return String(text.suffix(2000))
    }

    /// The child side: saves the three accounts over and over (half of them inside `withLock`,
    /// like a refresh) until killed. Disabled unless started by `survivesKillNine`.
    @Test("crash helper (runs only as the child of the kill -9 test)", .enabled(if: isChild))
    func writerUntilKilled() async throws {
        let directory = try #require(ProcessInfo.processInfo.environment[Self.helperVariable])
        let store = try AccountStore(directory: URL(fileURLWithPath: directory))
        let ready = URL(fileURLWithPath: directory).deletingLastPathComponent().appendingPathComponent("ready")
        let sessions = try Self.dids.map { try SessionFactory.make(did: $0, handle: nil) }
        var counter = 0
        let clock = ContinuousClock()
        // Written until killed, however long a loaded machine keeps the parent from doing so;
        // never outliving the parent (then reparented) nor, as a last resort, ten minutes.
        let parent = getppid()
        let stop = clock.now + .seconds(600)
        while getppid() == parent, clock.now < stop {
            for var session in sessions {
                counter += 1
                session.accessToken = "token-\(counter)-" + String(repeating: "z", count: counter % 997)
                if counter.isMultiple(of: 2) {
                    try await store.withLock(session.did) { [session] in try store.save(session) }
                } else {
                    try store.save(session)
                }
                try store.setDefault(counter.isMultiple(of: 3) ? session.did : nil)
            }
            if counter == sessions.count { _ = FileManager.default.createFile(atPath: ready.path, contents: nil) }
        }
    }
}
