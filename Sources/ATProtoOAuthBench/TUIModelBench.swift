import ATProtoAccountStore
import ATProtoAccountsTUI
import ATProtoOAuth
import Foundation

/// Issue 6, "Performance", in-process half: what one frame of the accounts screen costs with
/// 1,000 accounts — `update` on a tick and a key, the full `view` into a 200×50 in-memory
/// screen — and what loading a 1,000-account store costs. The process-level figures (first
/// frame on a real terminal, idle CPU, max RSS) come from `scripts/bench-tui`.
enum TUIModelBench {
    static let accountCount = 1_000
    static let rows = 50
    static let cols = 200

    static func run(frames: Int) throws -> [Figure] {
        let now = Date()
        progress("tui model: \(accountCount) accounts, \(frames) frames at \(cols)×\(rows)")
        var figures = measureFrames(frames, accounts: (0..<accountCount).map { summary($0, now: now) }, now: now)
        figures += try measureStoreLoad(now: now)
        return figures
    }

    private static func measureFrames(_ frames: Int, accounts: [AccountSummary], now: Date) -> [Figure] {
        var model = Model(now: now, rows: rows, cols: cols)
        let loadStart = ContinuousClock.now
        model = ATProtoAccountsTUI.update(model, .accountsLoaded(accounts: accounts, problems: [])).0
        let loadTime = ContinuousClock.now - loadStart
        var screen = MemoryScreen(rows: rows, cols: cols)
        // Warm-up: first-use costs (allocations, lazy tables) are not a frame's cost.
        for _ in 0..<20 { view(model, into: &screen) }

        var tick = Samples()
        var render = Samples()
        var key = Samples()
        for frame in 0..<max(frames, 1) {
            let date = now.addingTimeInterval(Double(frame) * 0.25)
            let t0 = ContinuousClock.now
            model = ATProtoAccountsTUI.update(model, .tick(date)).0
            let t1 = ContinuousClock.now
            view(model, into: &screen)
            let t2 = ContinuousClock.now
            // Walk down the list and back, so the selection (and the scrolled window) moves.
            let direction: Key = (frame / 500) % 2 == 0 ? .down : .up
            model = ATProtoAccountsTUI.update(model, .key(direction)).0
            let t3 = ContinuousClock.now
            tick.add((t1 - t0).microseconds)
            render.add((t2 - t1).microseconds)
            key.add((t3 - t2).microseconds)
        }
        // Reading the frame keeps the renders observable (and checks they drew the table).
        let header = screen.lines.first ?? ""
        let missing = header.contains("Accounts (\(accounts.count))") ? "" : " (HEADER MISSING: check the view)"
        let frameBudget = 1_000_000.0 / 60
        return [
            Figure(
                "tui.model.accounts_loaded", loadTime.microseconds, "µs",
                note: "update(.accountsLoaded) with \(accounts.count) accounts"),
            Figure("tui.model.update_tick", tick, "µs/frame", note: "update(.tick) with \(accounts.count) accounts"),
            Figure("tui.model.update_key", key, "µs/key", note: "update(.key(↓/↑)), selection moving"),
            Figure(
                "tui.model.view", render, "µs/frame",
                target: "< \(Figure.format(frameBudget)) µs (one 60 Hz frame)", pass: render.median < frameBudget,
                note: "full view into MemoryScreen \(cols)×\(rows)\(missing)"),
        ]
    }

    /// The store side of the first frame: reading 1,000 session files (each with its key) and
    /// turning them into summaries, as the TUI's service does before the table can show.
    private static func measureStoreLoad(now: Date) throws -> [Figure] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "atproto-oauth-bench-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        progress("tui model: writing a \(accountCount)-account store")
        let writeStart = ContinuousClock.now
        let store = try StoreMaker.make(directory: directory, count: accountCount, now: now)
        let writeTime = ContinuousClock.now - writeStart
        var loadAll = Samples()
        var defaultAccount = Samples()
        var summaries = Samples()
        var loaded = 0
        for _ in 0..<5 {
            let t0 = ContinuousClock.now
            let listing = store.loadAll()
            let t1 = ContinuousClock.now
            let defaultDID = store.defaultAccount()
            let t2 = ContinuousClock.now
            loaded = listing.sessions.map { AccountSummary($0, isDefault: $0.did == defaultDID) }.count
            let t3 = ContinuousClock.now
            loadAll.add((t1 - t0).milliseconds)
            defaultAccount.add((t2 - t1).milliseconds)
            summaries.add((t3 - t2).milliseconds)
        }
        return [
            Figure(
                "tui.store.load_all", loadAll, "ms",
                note: "AccountStore.loadAll, \(loaded) session files (page cache warm)"),
            try measureDecodeOnly(store),
            Figure("tui.store.default_account", defaultAccount, "ms", note: "AccountStore.defaultAccount"),
            Figure(
                "tui.store.summaries", summaries, "ms",
                note: "\(loaded) AccountSummary values as the TUI's service builds them (JWK thumbprints)"),
            Figure(
                "tui.store.write_all", writeTime.milliseconds, "ms",
                note: "\(accountCount) × AccountStore.save (fsync'd atomic writes)"),
        ]
    }

    /// `Session.decode` alone on the files' bytes, already in memory: how much of `loadAll` is
    /// JSON and key parsing rather than file-system work (permission checks, open, read).
    private static func measureDecodeOnly(_ store: AccountStore) throws -> Figure {
        let accounts = store.directory.appendingPathComponent("accounts", isDirectory: true)
        let files = try FileManager.default.contentsOfDirectory(atPath: accounts.path).filter { $0.hasSuffix(".json") }
        let blobs = try files.map { try Data(contentsOf: accounts.appendingPathComponent($0)) }
        var decode = Samples()
        var decoded = 0
        for _ in 0..<5 {
            let start = ContinuousClock.now
            decoded = try blobs.map { try Session.decode($0) }.count
            decode.add((ContinuousClock.now - start).milliseconds)
        }
        return Figure(
            "tui.store.decode_only", decode, "ms", note: "Session.decode of \(decoded) files' bytes, no file system")
    }

    /// A summary as the TUI's live service builds it from a stored session.
    /// A synthetic summary for the in-memory frames (no store, no keys).
    static func summary(_ index: Int, now: Date) -> AccountSummary {
        let expiresIn: TimeInterval = index % 20 == 0 ? -120 : 45 + TimeInterval((index * 37) % 1_800)
        return AccountSummary(
            did: "did:plc:benchaccount2222\(String(format: "%08d", index))", handle: "user\(index).bench.test",
            pdsHost: "https://pds\(index % 7).bench.example", issuer: "https://entryway.bench.example",
            scope: "atproto transition:generic", expiresAt: now.addingTimeInterval(expiresIn),
            createdAt: now.addingTimeInterval(-TimeInterval(index % 300) * 3_600),
            refreshedAt: index % 3 == 0 ? nil : now.addingTimeInterval(-300),
            dpopThumbprint: "thumbprint\(index)", isDefault: index == 0, needsLogin: index % 97 == 5)
    }
}
