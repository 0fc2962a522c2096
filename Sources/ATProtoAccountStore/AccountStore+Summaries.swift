import ATProtoOAuth
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The summary cache: `summaries` beside `accounts/`, the public facts of every account
/// file (``SessionSummary``, no secret) keyed by the file's identity — inode, size,
/// modification time in nanoseconds, mode and owner.
///
/// Why: `accounts` and the TUI list every account on start, and decoding a thousand sessions
/// with their keys costs more than everything else they do. With the cache they `stat` each
/// file and decode one small document.
///
/// It is only ever a cache. Every entry is checked against its file's identity on every read,
/// so a file written since (every save is a new inode: temporary file + rename), removed,
/// re-permissioned or re-owned is read again in full, with the same checks and problems as
/// ``loadAll()``. The cache is rewritten (atomically, 0600, without fsync: losing it costs one
/// slow listing) only when something changed; two processes rewriting it at once cost at
/// most a stale entry, which the next reader detects. A cache that is missing, unreadable,
/// corrupt or of another format is ignored and replaced.
extension AccountStore {
    /// `summaries` in the store directory.
    var summaryCachePlace: PrivateFiles.Place {
        PrivateFiles.Place(url: directory.appendingPathComponent("summaries", isDirectory: false), display: "summaries")
    }

    /// Every account's summary and every file that could not be read, as ``loadAll()`` sees
    /// them (same order, same problems), mostly from the cache.
    public func summaryListing() -> SummaryListing {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: accountsDirectory.path)
                .filter(Self.isAccountFileName)
        } catch {
            let problem = AccountStoreError(
                .fileSystem, path: "accounts/", "cannot list the accounts directory: \(error.localizedDescription)")
            return SummaryListing(
                summaries: [], problems: [Self.storeProblem(StoreProblem(problem, file: "accounts/"))])
        }
        let cached = readSummaryCache()
        let accountsPath = accountsDirectory.path + "/"
        var fresh: [String: SummaryCache.Entry] = [:]
        var summaries: [SessionSummary] = []
        var stale: [(name: String, identity: FileIdentity?)] = []
        for name in names {
            // No identity (removed since the listing, or not stat-able): the full read says which.
            let identity = FileIdentity(path: accountsPath + name)
            if let identity, let entry = cached.entries[name], entry.file == identity {
                fresh[name] = entry
                summaries.append(entry.summary)
            } else {
                stale.append((name, identity))
            }
        }
        var problems = configProblems()
        for (file, outcome) in zip(stale, readListed(stale.map(\.name))) {
            switch outcome {
            case .gone: break
            case .session(let session):
                let summary = SessionSummary(session)
                summaries.append(summary)
                if let identity = file.identity {
                    fresh[file.name] = SummaryCache.Entry(file: identity, summary: summary)
                }
            case .problem(let problem): problems.append(problem)
            }
        }
        if fresh != cached.entries { writeSummaryCache(SummaryCache(entries: fresh)) }
        summaries.sort { ($0.listingName, $0.did.rawValue) < ($1.listingName, $1.did.rawValue) }
        problems.sort { $0.file < $1.file }
        return SummaryListing(summaries: summaries, problems: problems.map(Self.storeProblem))
    }

    static func storeProblem(_ problem: StoreProblem) -> SessionStoreProblem {
        SessionStoreProblem(location: problem.file, reason: problem.reason, underlying: problem.error)
    }

    private func readSummaryCache() -> SummaryCache {
        guard let data = try? PrivateFiles.readPrivateFile(summaryCachePlace) else { return SummaryCache(entries: [:]) }
        return SummaryCache(decoding: data) ?? SummaryCache(entries: [:])
    }

    /// Best effort: a cache that cannot be written only makes the next listing slower.
    private func writeSummaryCache(_ cache: SummaryCache) {
        try? PrivateFiles.writeAtomically(cache.encoded(), to: summaryCachePlace, durable: false)
    }
}

/// The document in `summaries`: a line format, not JSON: a thousand entries decode
/// in a few milliseconds rather than the twenty Foundation's JSON decoder takes. A header line
/// (`atproto-oauth summaries <format>`), then one line per account file, its fields separated
/// by tabs, with `%`, tab and newline percent-escaped inside fields and an empty field for an
/// absent value. Dates are milliseconds since 1970 (sessions store milliseconds).
struct SummaryCache: Equatable {
    static let header = "atproto-oauth summaries 1"

    struct Entry: Equatable {
        var file: FileIdentity
        var summary: SessionSummary
    }

    /// By file name under `accounts/`.
    var entries: [String: Entry]

    init(entries: [String: Entry]) { self.entries = entries }

    func encoded() -> Data {
        var text = Self.header + "\n"
        for (name, entry) in entries.sorted(by: { $0.key < $1.key }) {
            let file = entry.file
            let summary = entry.summary
            var fields = [name, String(file.inode), String(file.size), String(file.modified)]
            fields += [String(file.mode), String(file.owner), summary.did.rawValue, summary.handle?.rawValue ?? ""]
            fields += [summary.pds.absoluteString, summary.issuer, summary.clientID, summary.scope]
            fields += [Self.milliseconds(summary.expiresAt), Self.milliseconds(summary.createdAt)]
            fields.append(summary.refreshedAt.map(Self.milliseconds) ?? "")
            fields += [summary.needsLogin ? "1" : "0", summary.hasRefreshToken ? "1" : "0"]
            fields += [summary.dpopThumbprint, summary.movingTo ?? ""]
            text += fields.map(Self.escape).joined(separator: "\t") + "\n"
        }
        return Data(text.utf8)
    }

    /// `nil` for anything but a whole cache of this format: it is then rebuilt.
    init?(decoding data: Data) {
        // Split on bytes, not Characters: grapheme breaking would cost more than the rest.
        let bytes = [UInt8](data)
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        guard let first = lines.first, String(decoding: first, as: UTF8.self) == Self.header,
            lines.last?.isEmpty == true
        else { return nil }
        lines.removeFirst()
        lines.removeLast()
        var entries: [String: Entry] = [:]
        entries.reserveCapacity(lines.count)
        for line in lines {
            let fields = line.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false).map(Self.unescape)
            guard fields.count == 19, let entry = Self.entry(fields) else { return nil }
            entries[fields[0]] = entry
        }
        self.entries = entries
    }

    private static func entry(_ f: [String]) -> Entry? {
        guard let inode = UInt64(f[1]), let size = Int64(f[2]), let modified = Int64(f[3]), let mode = UInt32(f[4]),
            let owner = UInt32(f[5]), let did = try? DID(f[6]), let pds = URL(string: f[8]),
            let expiresAt = date(f[12]), let createdAt = date(f[13]), f[15] == "0" || f[15] == "1",
            f[16] == "0" || f[16] == "1"
        else { return nil }
        var handle: Handle?
        if !f[7].isEmpty {
            guard let parsed = try? Handle(f[7]) else { return nil }
            handle = parsed
        }
        var refreshedAt: Date?
        if !f[14].isEmpty {
            guard let parsed = date(f[14]) else { return nil }
            refreshedAt = parsed
        }
        let summary = SessionSummary(
            did: did, handle: handle, pds: pds, issuer: f[9], clientID: f[10], scope: f[11], expiresAt: expiresAt,
            createdAt: createdAt, refreshedAt: refreshedAt, needsLogin: f[15] == "1", hasRefreshToken: f[16] == "1",
            dpopThumbprint: f[17], movingTo: f[18].isEmpty ? nil : f[18])
        return Entry(
            file: FileIdentity(inode: inode, size: size, modified: modified, mode: mode, owner: owner),
            summary: summary)
    }

    private static func milliseconds(_ date: Date) -> String {
        String(Int64((date.timeIntervalSince1970 * 1000).rounded()))
    }

    private static func date(_ text: String) -> Date? {
        Int64(text).map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }

    private static func escape(_ field: String) -> String {
        guard field.contains(where: { $0 == "%" || $0 == "\t" || $0 == "\n" || $0 == "\r" }) else { return field }
        return field.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\t", with: "%09")
            .replacingOccurrences(of: "\n", with: "%0A").replacingOccurrences(of: "\r", with: "%0D")
    }

    /// Reverses ``escape(_:)``: every `%XX` back to its byte (only `%` itself, tab, CR and LF
    /// are ever escaped). Byte by byte: Foundation's string search costs more than the rest.
    private static func unescape(_ utf8: ArraySlice<UInt8>) -> String {
        guard utf8.contains(UInt8(ascii: "%")) else { return String(decoding: utf8, as: UTF8.self) }
        return String(decoding: PercentDecoding.decode(utf8).bytes, as: UTF8.self)
    }
}

/// What tells one version of a file from another without reading it.
struct FileIdentity: Equatable {
    var inode: UInt64
    var size: Int64
    /// Modification time, nanoseconds since 1970.
    var modified: Int64
    var mode: UInt32
    var owner: UInt32

    init(inode: UInt64, size: Int64, modified: Int64, mode: UInt32, owner: UInt32) {
        self.inode = inode
        self.size = size
        self.modified = modified
        self.mode = mode
        self.owner = owner
    }

    /// `nil` when the file cannot be `stat`ed (gone, or the full read reports why).
    init?(path: String) {
        var raw = stat()
        guard lstat(path, &raw) == 0 else { return nil }
        inode = UInt64(raw.st_ino)
        size = Int64(raw.st_size)
        modified = Int64(raw.st_mtim.tv_sec) * 1_000_000_000 + Int64(raw.st_mtim.tv_nsec)
        mode = UInt32(raw.st_mode)
        owner = UInt32(raw.st_uid)
    }
}
