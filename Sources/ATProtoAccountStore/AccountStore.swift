import ATProtoOAuth
import Foundation

/// Multi-account persistence: one 0600 JSON file per DID in a 0700 directory.
///
/// Layout (DESIGN.md "Files on disk"):
///
///     <directory>/               0700
///       accounts/<did>.json      0600  the `Session` JSON (tokens, DPoP private JWK, nonces, `version`)
///       config.json              0600  {"version": 1, "defaultAccount": "did:plc:…", …}
///       locks/<did>.lock         0600  empty; `flock` target for `withLock` (R24)
///
/// Every write is atomic (temporary file, fsync, rename, fsync of the directory), so a process
/// killed at any instant leaves each file either old or new, never torn. Files and directories
/// that group/others can read are refused with an error naming the path and the `chmod` to
/// run, never silently fixed: someone may already have read the tokens.
///
///     let store = try AccountStore(directory: AccountStore.defaultDirectory())
///     try store.save(session)
///     let alice = try store.resolve("alice")      // handle, DID or unique prefix
///
/// A value type holding only the directory URL: cheap to copy across tasks and processes;
/// all coordination goes through the file system.
public struct AccountStore: Sendable {
    /// The store's root directory (exists, 0700, owned by this user after `init`).
    public let directory: URL

    /// The store directory a CLI should use when no `--store` is given:
    /// `$ATPROTO_OAUTH_HOME`, else `$XDG_STATE_HOME/atproto-oauth`, else
    /// `~/.local/state/atproto-oauth`. Empty variables count as unset (XDG rule).
    public static func defaultDirectory(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> URL {
        if let home = environment["ATPROTO_OAUTH_HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home, isDirectory: true)
        }
        // XDG says relative values are invalid and must be ignored.
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
            return URL(fileURLWithPath: state, isDirectory: true).appendingPathComponent(
                "atproto-oauth", isDirectory: true)
        }
        let userHome: URL
        if let home = environment["HOME"], !home.isEmpty {
            userHome = URL(fileURLWithPath: home, isDirectory: true)
        } else {
            userHome = FileManager.default.homeDirectoryForCurrentUser
        }
        return userHome.appendingPathComponent(".local/state/atproto-oauth", isDirectory: true)
    }

    /// Opens the store at `directory`, creating it (0700) with `accounts/` and `locks/` (0700)
    /// when missing. Refuses an existing directory that group/others can access or that
    /// belongs to another user, with an error saying which `chmod`/`chown` fixes it.
    public init(directory: URL) throws {
        self.directory = directory.standardizedFileURL
        try PrivateFiles.ensurePrivateDirectory(place(directory: self.directory, display: self.directory.path))
        try PrivateFiles.ensurePrivateDirectory(place(directory: accountsDirectory, display: "accounts/"))
        try PrivateFiles.ensurePrivateDirectory(place(directory: locksDirectory, display: "locks/"))
    }

    // MARK: Layout

    var accountsDirectory: URL { directory.appendingPathComponent("accounts", isDirectory: true) }
    var locksDirectory: URL { directory.appendingPathComponent("locks", isDirectory: true) }
    var configFile: URL { directory.appendingPathComponent("config.json", isDirectory: false) }

    /// The session file for `did`: `accounts/<did>.json`.
    public func accountFileURL(for did: DID) -> URL {
        accountsDirectory.appendingPathComponent(Self.fileStem(for: did) + ".json", isDirectory: false)
    }

    /// The lock file `withLock` holds for `did`: `locks/<did>.lock`. Exposed so tests and tools
    /// can check exclusion from outside, e.g. `flock -n <path> true`.
    public func lockFileURL(for did: DID) -> URL {
        locksDirectory.appendingPathComponent(Self.fileStem(for: did) + ".lock", isDirectory: false)
    }

    /// The file name stem for a DID: the DID itself, colons kept. DID syntax (R4) admits only
    /// ASCII letters, digits and `. _ : % -`, and always starts with `did:`, so it can never be
    /// `.`, `..`, hidden, contain `/` or NUL. The only remaining hazard is length: file names are
    /// limited to 255 bytes, DIDs to 2048. An over-long DID gets `did-sha256-<base64url hash>`
    /// instead (the loader reads the DID from the content, so nothing depends on the name).
    static func fileStem(for did: DID) -> String {
        // Room for ".json"/".lock" and for the temporary name ".<name>.<16 hex>.tmp".
        let maximumStem = 255 - 5 - 22
        if did.rawValue.utf8.count <= maximumStem { return did.rawValue }
        // PKCE's S256 is exactly base64url(SHA-256(ascii)), and base64url is file-name safe.
        return "did-sha256-" + PKCE.challenge(for: did.rawValue)
    }

    func place(account did: DID) -> PrivateFiles.Place {
        let url = accountFileURL(for: did)
        return PrivateFiles.Place(url: url, display: "accounts/" + url.lastPathComponent)
    }

    func place(lock did: DID) -> PrivateFiles.Place {
        let url = lockFileURL(for: did)
        return PrivateFiles.Place(url: url, display: "locks/" + url.lastPathComponent)
    }

    var configPlace: PrivateFiles.Place { PrivateFiles.Place(url: configFile, display: "config.json") }

    func place(directory url: URL, display: String) -> PrivateFiles.Place {
        PrivateFiles.Place(url: url, display: display)
    }
}
