import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `open(2)` with a mode: a method of this type is also named `open`.
private func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 {
    #if canImport(Glibc)
        Glibc.open(path, flags, mode)
    #elseif canImport(Musl)
        Musl.open(path, flags, mode)
    #else
        Darwin.open(path, flags, mode)
    #endif
}

/// The 32-byte AES-GCM key that encrypts each stored session (tokens and DPoP private key)
/// in the database. Written as base64 in a 0600 file (`atproto-oauth store init-key PATH`)
/// or given in `ATPROTO_OAUTH_STORE_KEY`.
///
/// Each sealed row also records the key's ``identifier`` (a hash, not the key), so a wrong
/// key is told apart from damaged data and named in errors without revealing anything.
public struct StoreKey: Sendable, CustomStringConvertible {
    let key: SymmetricKey
    /// A short, non-secret name of the key: the first 8 bytes of SHA-256 over a label and the
    /// key, in hex. Equal identifiers mean (almost certainly) equal keys.
    public let identifier: String

    /// The environment variable holding a base64 key.
    public static let environmentVariable = "ATPROTO_OAUTH_STORE_KEY"

    /// A key from its 32 raw bytes.
    public init(bytes: some DataProtocol) throws {
        guard bytes.count == 32 else {
            throw PostgresStoreError(.invalidKey, "a store key must be 32 bytes, got \(bytes.count)")
        }
        key = SymmetricKey(data: Data(bytes))
        var hasher = SHA256()
        hasher.update(data: Data("atproto-oauth store key id\0".utf8))
        hasher.update(data: Data(bytes))
        identifier = hasher.finalize().prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// A key from its base64 text (whitespace around it ignored). Errors never echo the text.
    public init(base64 text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let data = Data(base64Encoded: trimmed) else {
            throw PostgresStoreError(.invalidKey, "the store key is not base64 (expected 32 bytes, base64-encoded)")
        }
        try self.init(bytes: data)
    }

    /// A new random key.
    public static func generate() -> StoreKey {
        let key = SymmetricKey(size: .bits256)
        let bytes = key.withUnsafeBytes { Data($0) }
        // 32 random bytes always make a key.
        return (try? StoreKey(bytes: bytes)) ?? StoreKey(unchecked: key)
    }

    private init(unchecked key: SymmetricKey) {
        self.key = key
        self.identifier = "unchecked"
    }

    /// The key as base64 (what a key file holds). A secret: never log it.
    public var base64: String { key.withUnsafeBytes { Data($0).base64EncodedString() } }

    /// `store key <identifier>` — never the key itself.
    public var description: String { "store key \(identifier)" }

    /// Reads a key file: refused when group or others can access it, or when it is not a
    /// regular file of this user's.
    public static func read(file path: String) throws -> StoreKey {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            let code = errno
            throw PostgresStoreError(
                .missingKey,
                "cannot read the store key file \(path): \(String(cString: strerror(code))); "
                    + "create one with: atproto-oauth store init-key \(path)")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw PostgresStoreError(.invalidKey, "the store key file \(path) is not a regular file")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw PostgresStoreError(
                .invalidKey,
                "the store key file \(path) is accessible by group/others (mode "
                    + String(format: "%04o", info.st_mode & 0o7777) + "); run chmod 600 \(path)")
        }
        guard info.st_uid == geteuid() else {
            throw PostgresStoreError(.invalidKey, "the store key file \(path) belongs to another user")
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw PostgresStoreError(.invalidKey, "cannot read the store key file \(path)")
        }
        do {
            return try StoreKey(base64: text)
        } catch let error as PostgresStoreError {
            throw PostgresStoreError(.invalidKey, "the store key file \(path): \(error.reason)")
        }
    }

    /// The key a program should use: the file when one is given, else `ATPROTO_OAUTH_STORE_KEY`;
    /// `.missingKey` when there is neither.
    public static func resolve(
        file: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> StoreKey {
        if let file { return try read(file: file) }
        if let text = environment[environmentVariable], !text.isEmpty {
            do {
                return try StoreKey(base64: text)
            } catch let error as PostgresStoreError {
                throw PostgresStoreError(.invalidKey, "\(environmentVariable): \(error.reason)")
            }
        }
        throw PostgresStoreError(
            .missingKey,
            "the PostgreSQL store needs its encryption key: give --store-key-file PATH or set "
                + "\(environmentVariable) (create a key with: atproto-oauth store init-key PATH)")
    }

    /// Writes a new key file at `path`, 0600, refusing to replace an existing file (that
    /// would make every session encrypted under the old key unreadable).
    @discardableResult
    public static func writeNew(to path: String) throws -> StoreKey {
        let key = generate()
        let descriptor = systemOpen(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let code = errno
            let reason =
                code == EEXIST
                ? "\(path) already exists; a key file is never replaced (sessions sealed with it would be lost)"
                : "cannot create \(path): \(String(cString: strerror(code)))"
            throw PostgresStoreError(.invalidKey, reason)
        }
        defer { close(descriptor) }
        let bytes = Array((key.base64 + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fchmod(descriptor, 0o600) == 0, fsync(descriptor) == 0 else {
            let code = errno
            unlink(path)
            throw PostgresStoreError(.invalidKey, "cannot write \(path): \(String(cString: strerror(code)))")
        }
        return key
    }

    // MARK: Sealing

    /// AES-GCM over `plaintext`, bound to `did` (the additional authenticated data), so a
    /// sealed session copied onto another account's row does not open.
    func seal(_ plaintext: Data, did: String) throws -> Data {
        do {
            let box = try AES.GCM.seal(plaintext, using: key, authenticating: Data(did.utf8))
            guard let combined = box.combined else {
                throw PostgresStoreError(.invalidKey, did: did, "cannot encrypt the session")
            }
            return combined
        } catch let error as PostgresStoreError {
            throw error
        } catch {
            throw PostgresStoreError(.invalidKey, did: did, "cannot encrypt the session", underlying: error)
        }
    }

    /// Opens what ``seal(_:did:)`` made; `.wrongKey` when the key or the row do not match.
    func open(_ sealed: Data, did: String) throws -> Data {
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            return try AES.GCM.open(box, using: key, authenticating: Data(did.utf8))
        } catch {
            throw PostgresStoreError(
                .wrongKey, did: did,
                "the stored session does not decrypt with \(description) (altered, or sealed for another row)",
                underlying: error)
        }
    }
}
