import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// POSIX file operations for a store that holds secrets (tokens, DPoP private keys).
///
/// Plain system calls rather than `FileManager`, because what matters here is exactly what
/// Foundation hides: the mode a file is created with (`O_CREAT|O_EXCL`, 0600, before any byte
/// is written), `O_NOFOLLOW` so a planted symlink is never read or written through, `fstat` on
/// the descriptor actually read (no check-then-open race), and `fsync` of file and directory so
/// a rename survives a power cut.
enum PrivateFiles {
    /// Where in the store a path lies, for messages (`accounts/did:plc:x.json`), plus the
    /// absolute path for the fix-it command (`chmod 600 /home/…`).
    struct Place {
        let url: URL
        let display: String
        var path: String { url.path }
    }

    /// What `fstat`/`lstat` said, reduced to what the checks need.
    struct Status {
        let mode: UInt32
        let owner: UInt32
        let modificationTime: Date

        init(_ raw: stat) {
            mode = UInt32(raw.st_mode)
            owner = UInt32(raw.st_uid)
            #if canImport(Darwin)
                let seconds = Double(raw.st_mtimespec.tv_sec)
            #else
                let seconds = Double(raw.st_mtim.tv_sec)
            #endif
            modificationTime = Date(timeIntervalSince1970: seconds)
        }

        var permissions: UInt32 { mode & 0o7777 }
        var isDirectory: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFDIR) }
        var isRegularFile: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFREG) }
        var isSymbolicLink: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFLNK) }
        /// Any bit for group or others: such a file or directory is refused, never silently fixed,
        /// because someone else may already have read it.
        var isGroupOrOtherAccessible: Bool { mode & 0o077 != 0 }
    }

    static var currentUser: UInt32 { UInt32(geteuid()) }

    static func octal(_ permissions: UInt32) -> String {
        let digits = String(permissions, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    static func errnoError(_ call: String, _ place: Place, errno code: Int32) -> AccountStoreError {
        let message = String(cString: strerror(code))
        return AccountStoreError(.fileSystem, path: place.display, "\(call) failed: \(message) (errno \(code))")
    }

    // MARK: Directories

    /// Creates `place` with mode 0700 when missing; otherwise checks it is a directory owned by
    /// this user with no group/other permissions. An existing insecure directory is refused
    /// (not chmod-ed) so that the person learns their secrets may have been exposed.
    static func ensurePrivateDirectory(_ place: Place) throws {
        if mkdir(place.path, 0o700) == 0 {
            // mkdir's mode is filtered by the umask; set exactly 0700 whatever the umask.
            if chmod(place.path, 0o700) != 0 { throw errnoError("chmod", place, errno: errno) }
            return
        }
        let createError = errno
        if createError == ENOENT {
            // A missing parent such as ~/.local/state: create it with ordinary permissions.
            let parent = place.url.deletingLastPathComponent()
            do {
                try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
            } catch {
                throw AccountStoreError(
                    .fileSystem, path: parent.path, "cannot create the parent directory: \(error.localizedDescription)")
            }
            return try ensurePrivateDirectory(place)
        }
        guard createError == EEXIST else { throw errnoError("mkdir", place, errno: createError) }
        try checkPrivateDirectory(place)
    }

    static func checkPrivateDirectory(_ place: Place) throws {
        var raw = stat()
        guard lstat(place.path, &raw) == 0 else { throw errnoError("stat", place, errno: errno) }
        let status = Status(raw)
        guard status.isDirectory else {
            let what = status.isSymbolicLink ? "a symbolic link" : "not a directory"
            throw AccountStoreError(
                .notARegularFile, path: place.display,
                "is \(what); the store needs a real directory here (move it away, or choose another --store)")
        }
        guard status.owner == currentUser else {
            throw AccountStoreError(
                .wrongOwner, path: place.display,
                "belongs to user id \(status.owner), not to you (\(currentUser)); use your own store directory "
                    + "(--store or ATPROTO_OAUTH_HOME) or run chown $(id -u) \(place.path)")
        }
        guard !status.isGroupOrOtherAccessible else {
            throw AccountStoreError(
                .insecurePermissions, path: place.display,
                "is accessible by group/others (mode \(octal(status.permissions))); run chmod 700 \(place.path)")
        }
    }

    // MARK: Reading

    /// Reads a secret file, refusing symlinks, other owners and (when `requirePrivate`) any
    /// group/other permission bit; with `exactPermissions`, any other mode too (temporary files
    /// are always created 0600, so another mode means we did not write it). Returns `nil` when
    /// the file does not exist.
    static func readPrivateFile(
        _ place: Place, requirePrivate: Bool = true, exactPermissions: UInt32? = nil
    ) throws -> Data? {
        let descriptor = open(place.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { return nil }
            if code == ELOOP {
                throw AccountStoreError(
                    .notARegularFile, path: place.display,
                    "is a symbolic link; the store only reads regular files (replace it with the real file)")
            }
            throw errnoError("open", place, errno: code)
        }
        defer { close(descriptor) }
        var raw = stat()
        guard fstat(descriptor, &raw) == 0 else { throw errnoError("fstat", place, errno: errno) }
        let status = Status(raw)
        guard status.isRegularFile else {
            throw AccountStoreError(.notARegularFile, path: place.display, "is not a regular file (move it away)")
        }
        guard status.owner == currentUser else {
            throw AccountStoreError(
                .wrongOwner, path: place.display,
                "belongs to user id \(status.owner), not to you (\(currentUser)); run chown $(id -u) \(place.path)")
        }
        guard !requirePrivate || !status.isGroupOrOtherAccessible else {
            throw AccountStoreError(
                .insecurePermissions, path: place.display,
                "is readable by group/others (mode \(octal(status.permissions))); run chmod 600 \(place.path) "
                    + "(and consider logging in again: its tokens may have been read)")
        }
        if let exactPermissions, status.permissions != exactPermissions {
            throw AccountStoreError(
                .insecurePermissions, path: place.display,
                "has mode \(octal(status.permissions)), not \(octal(exactPermissions))")
        }
        return try readAll(descriptor, place)
    }

    private static func readAll(_ descriptor: Int32, _ place: Place) throws -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return data }
            if count < 0 {
                if errno == EINTR { continue }
                throw errnoError("read", place, errno: errno)
            }
            data.append(contentsOf: buffer[0..<count])
        }
    }

    // MARK: Writing

    /// The suffix of temporary files; `loadAll` skips them and `sweepStaleTemporaryFiles`
    /// removes the ones a killed process left behind.
    static let temporarySuffix = ".tmp"

    /// `.<name>.<token>.tmp`: hidden (so listings skip it) and in the target's own directory (so
    /// the rename is atomic). `token` is 1 to 16 lowercase hex digits.
    static func temporaryName(for target: String, token: String) -> String {
        ".\(target).\(token)\(temporarySuffix)"
    }

    /// Whether `name` is a temporary file of `target` exactly as `writeAtomically` names them.
    /// The token must be pure hex, so `.did:plc:a.json.x.json.<hex>.tmp` (a temporary file of
    /// the account `did:plc:a.json.x`) is never taken for one of `did:plc:a.json`.
    static func isTemporaryName(_ name: String, for target: String) -> Bool {
        let prefix = ".\(target)."
        guard name.hasPrefix(prefix), name.hasSuffix(temporarySuffix),
            name.utf8.count > prefix.utf8.count + temporarySuffix.utf8.count
        else { return false }
        let token = name.utf8.dropFirst(prefix.utf8.count).dropLast(temporarySuffix.utf8.count)
        return token.count <= 16 && token.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// The temporary files of `place` present now (any file type), for recovery after a crash.
    static func temporaryFiles(of place: Place) -> [Place] {
        let directory = place.url.deletingLastPathComponent()
        let target = place.url.lastPathComponent
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        return names.filter { isTemporaryName($0, for: target) }.sorted().map {
            Place(
                url: directory.appendingPathComponent($0, isDirectory: false),
                display: place.display + " (temporary file \($0))")
        }
    }

    /// Makes a complete temporary file left by a dead writer the target: `fsync` it (the writer
    /// may have died before its own), `rename` over the target, `fsync` the directory. The
    /// target is at every instant either its old content or the temporary file's, in full.
    static func adopt(_ temporary: Place, as place: Place) throws {
        let descriptor = open(temporary.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw errnoError("open", temporary, errno: errno) }
        let synced = fsync(descriptor) == 0
        let code = errno
        close(descriptor)
        guard synced else { throw errnoError("fsync", temporary, errno: code) }
        guard rename(temporary.path, place.path) == 0 else { throw errnoError("rename", place, errno: errno) }
        try syncDirectory(Place(url: place.url.deletingLastPathComponent(), display: place.display + " (directory)"))
    }

    /// Writes `data` so that `place` always holds either the old or the new content in full:
    /// a 0600 temporary file in the same directory (`O_CREAT|O_EXCL`), every byte written,
    /// `fsync`, `rename` over the target, then `fsync` of the directory so the rename is durable.
    /// `durable: false` skips both `fsync`s, for caches: still never torn, but a crash may
    /// lose the new content.
    static func writeAtomically(_ data: Data, to place: Place, durable: Bool = true) throws {
        let directory = place.url.deletingLastPathComponent()
        let token = String(UInt64.random(in: .min ... .max), radix: 16)
        let temporary = Place(
            url: directory.appendingPathComponent(temporaryName(for: place.url.lastPathComponent, token: token)),
            display: place.display + " (temporary file)")

        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw errnoError("open", temporary, errno: errno) }
        var renamed = false
        defer { if !renamed { unlink(temporary.path) } }
        do {
            defer { close(descriptor) }
            // O_CREAT's mode is filtered by the umask; 0600 exactly, whatever the umask.
            guard fchmod(descriptor, 0o600) == 0 else { throw errnoError("fchmod", temporary, errno: errno) }
            try writeAll(data, to: descriptor, temporary)
            guard !durable || fsync(descriptor) == 0 else { throw errnoError("fsync", temporary, errno: errno) }
        }
        guard rename(temporary.path, place.path) == 0 else { throw errnoError("rename", place, errno: errno) }
        renamed = true
        if durable { try syncDirectory(Place(url: directory, display: place.display + " (directory)")) }
    }

    private static func writeAll(_ data: Data, to descriptor: Int32, _ place: Place) throws {
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            guard let base = bytes.baseAddress else { return }
            var offset = 0
            while offset < bytes.count {
                let count = write(descriptor, base + offset, bytes.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw errnoError("write", place, errno: errno)
                }
                offset += count
            }
        }
    }

    static func syncDirectory(_ place: Place) throws {
        let descriptor = open(place.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw errnoError("open", place, errno: errno) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw errnoError("fsync", place, errno: errno) }
    }

    /// Removes a file; returns `false` when it did not exist.
    static func remove(_ place: Place) throws -> Bool {
        if unlink(place.path) == 0 { return true }
        let code = errno
        if code == ENOENT { return false }
        throw errnoError("unlink", place, errno: code)
    }

    /// Removes the temporary files of `place` older than `age` that a killed writer left behind.
    /// Young ones are kept: they may belong to a save in progress in another process. Only
    /// `place`'s own: another account's leftover may be a complete newer session that its next
    /// `withLock` must adopt (R24), so it is not ours to delete. Best effort: failures are
    /// ignored because a stray temporary file harms nothing (it is 0600 and never loaded).
    static func sweepStaleTemporaryFiles(of place: Place, olderThan age: TimeInterval, now: Date = Date()) {
        let directory = place.url.deletingLastPathComponent()
        let target = place.url.lastPathComponent
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        for name in names where isTemporaryName(name, for: target) {
            let path = directory.appendingPathComponent(name).path
            var raw = stat()
            guard lstat(path, &raw) == 0 else { continue }
            let status = Status(raw)
            if status.isRegularFile, now.timeIntervalSince(status.modificationTime) > age {
                unlink(path)
            }
        }
    }
}
