import ATProtoOAuth
import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The change feed of the file store: inotify on `accounts/` and on the store directory (for
/// `config.json`), so a program showing accounts (the TUI) sees another process's `login`,
/// `logout`, `refresh` or default change at once, without polling. Idle, it costs nothing: the
/// watch sleeps in the kernel until a file is written.
extension AccountStore: ObservableSessionStore {
    /// How long a burst of writes is gathered into one element by ``changes()``.
    public static let defaultChangeLatency: Duration = .milliseconds(50)

    /// A stream that yields when an account file or `config.json` was written (by rename or
    /// in place), created or deleted, by this process or any other; see
    /// ``ATProtoOAuth/ObservableSessionStore/changes()``. Temporary files of atomic writes,
    /// lock files and reads never count. Finishes at once when the watch cannot be set up
    /// (``watchChanges(latency:)`` says why).
    public func changes() -> AsyncStream<Void> {
        do {
            return try watchChanges()
        } catch {
            return AsyncStream { $0.finish() }
        }
    }

    /// Like ``changes()``, but throws when the watch cannot be set up: no inotify on this
    /// system, or its limits reached (`fs.inotify.max_user_instances`/`max_user_watches`).
    ///
    /// - Parameter latency: writes within this time of the first one are reported as one
    ///   element (a login writes the account file and `config.json` in quick succession).
    public func watchChanges(latency: Duration = AccountStore.defaultChangeLatency) throws -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        #if os(Linux)
            let watcher = try StoreWatcher(
                accounts: place(directory: accountsDirectory, display: "accounts/"),
                root: place(directory: directory, display: directory.path), latency: latency
            ) { continuation.yield() }
            // Holding the watcher here keeps it alive exactly as long as someone may listen.
            continuation.onTermination = { _ in watcher.stop() }
            watcher.start()
        #else
            continuation.finish()
            throw AccountStoreError(
                .fileSystem, path: directory.path, "watching the store for changes needs inotify (Linux)")
        #endif
        return stream
    }
}

#if os(Linux)
    /// One inotify descriptor with two directory watches, read by a dispatch source on a
    /// private serial queue (no thread of our own, no polling). Relevant events start a
    /// `latency` timer; everything that arrives before it fires is reported with it.
    final class StoreWatcher: @unchecked Sendable {
        private let descriptor: Int32
        private let accountsWatch: Int32
        private let rootWatch: Int32
        private let latency: DispatchTimeInterval
        private let onChange: @Sendable () -> Void
        private let queue = DispatchQueue(label: "atproto-oauth.account-store.watch")
        private let source: any DispatchSourceRead
        /// A report is scheduled (touched on `queue` only).
        private var pending = false

        /// What changes the feed: a file finished (written in place or renamed into place),
        /// created, deleted or renamed away.
        static let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_CREATE | IN_MOVED_FROM)

        init(
            accounts: PrivateFiles.Place, root: PrivateFiles.Place, latency: Duration,
            onChange: @escaping @Sendable () -> Void
        ) throws {
            let descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
            guard descriptor >= 0 else { throw PrivateFiles.errnoError("inotify_init1", root, errno: errno) }
            let accountsWatch = inotify_add_watch(descriptor, accounts.path, Self.mask)
            guard accountsWatch >= 0 else {
                let error = PrivateFiles.errnoError("inotify_add_watch", accounts, errno: errno)
                close(descriptor)
                throw error
            }
            let rootWatch = inotify_add_watch(descriptor, root.path, Self.mask)
            guard rootWatch >= 0 else {
                let error = PrivateFiles.errnoError("inotify_add_watch", root, errno: errno)
                close(descriptor)
                throw error
            }
            self.descriptor = descriptor
            self.accountsWatch = accountsWatch
            self.rootWatch = rootWatch
            let milliseconds =
                latency.components.seconds * 1000 + latency.components.attoseconds / 1_000_000_000_000_000
            self.latency = .milliseconds(Int(max(milliseconds, 0)))
            self.onChange = onChange
            source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: queue)
        }

        func start() {
            let descriptor = descriptor
            // Weak: the stream's termination handler owns the watcher; the source must not.
            source.setEventHandler { [weak self] in self?.drain() }
            source.setCancelHandler { close(descriptor) }
            source.resume()
        }

        /// Cancels the source, which closes the descriptor (and with it both watches).
        func stop() {
            source.cancel()
        }

        /// Reads every queued event; schedules one report if any is relevant.
        private func drain() {
            var relevant = false
            let capacity = 16 * 1024
            let buffer = UnsafeMutableRawPointer.allocate(
                byteCount: capacity, alignment: MemoryLayout<inotify_event>.alignment)
            defer { buffer.deallocate() }
            while true {
                let count = read(descriptor, buffer, capacity)
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                relevant = scan(UnsafeRawBufferPointer(start: buffer, count: count)) || relevant
            }
            guard relevant, !pending, !source.isCancelled else { return }
            pending = true
            queue.asyncAfter(deadline: .now() + latency) { [weak self] in
                guard let self else { return }
                self.pending = false
                if !self.source.isCancelled { self.onChange() }
            }
        }

        /// Whether any event in `bytes` (whole `inotify_event`s) concerns the store's data.
        private func scan(_ bytes: UnsafeRawBufferPointer) -> Bool {
            let header = MemoryLayout<inotify_event>.size
            var offset = 0
            var relevant = false
            while offset + header <= bytes.count {
                let watch = bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                let mask = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                let length = Int(bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                let nameBytes = bytes[(offset + header)..<min(offset + header + length, bytes.count)]
                let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
                offset += header + length
                if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                    relevant = true  // events were lost: anything may have changed
                } else if Self.isRelevant(name: name, inAccounts: watch == accountsWatch, inRoot: watch == rootWatch) {
                    relevant = true
                }
            }
            return relevant
        }

        /// Account files (`<did>.json`) and `config.json`; never the temporary files of atomic
        /// writes (`.<name>.<hex>.tmp`, renamed into place a moment later) or anything else.
        static func isRelevant(name: String, inAccounts: Bool, inRoot: Bool) -> Bool {
            guard !name.hasPrefix(".") else { return false }
            if inAccounts { return name.hasSuffix(".json") }
            if inRoot { return name == "config.json" }
            return false
        }
    }
#endif
