import ATProtoOAuth
import Foundation

/// `config.json`: `{"version": 1, "defaultAccount": "did:plc:…", …}`.
///
/// Kept as a JSON object so members this build does not know (client settings added by a later
/// version or by hand) survive a `setDefault` rewrite untouched.
struct StoreConfig: Sendable {
    static let currentVersion = 1

    private(set) var members: [String: JSONValue]

    init(members: [String: JSONValue] = [:]) {
        self.members = members
        self.members["version"] = .number(Double(Self.currentVersion))
    }

    /// The configured default, or `nil` when unset or not a valid DID.
    var defaultAccount: DID? {
        guard let string = members["defaultAccount"]?.stringValue else { return nil }
        return try? DID(string)
    }

    mutating func setDefaultAccount(_ did: DID?) {
        members["defaultAccount"] = did.map { .string($0.rawValue) }
    }

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(JSONValue.object(members))
    }
}

extension AccountStore {
    /// The parsed `config.json`; an empty config when the file does not exist.
    func readConfig() throws -> StoreConfig {
        let place = configPlace
        // Not secret (no tokens), so not refused for its mode; still never read through a symlink.
        guard let data = try PrivateFiles.readPrivateFile(place, requirePrivate: false) else { return StoreConfig() }
        let upgraded = try StoreMigrations.config.upgrade(data, display: place.display)
        return StoreConfig(members: try StoreMigrations.object(upgraded, display: place.display))
    }

    /// The account commands act on when none is named: the configured `defaultAccount` while its
    /// session file exists; otherwise, when exactly one account loads, that one; else `nil`.
    ///
    /// A configured default whose file is unreadable is still returned (the caller's `load`
    /// then reports why), so a broken default never silently switches to another account.
    public func defaultAccount() -> DID? {
        if let configured = try? readConfig().defaultAccount,
            FileManager.default.fileExists(atPath: accountFileURL(for: configured).path)
        {
            return configured
        }
        let sessions = loadAll().sessions
        return sessions.count == 1 ? sessions.first?.did : nil
    }

    /// Sets (or with `nil` clears) the default account in `config.json`, written atomically.
    /// Throws `.accountNotFound` when `did` has no session file.
    public func setDefault(_ did: DID?) throws {
        if let did, !FileManager.default.fileExists(atPath: accountFileURL(for: did).path) {
            throw AccountStoreError(
                .accountNotFound, path: place(account: did).display,
                "no stored account for \(did); log it in first (atproto-oauth login \(did))")
        }
        var config = try readConfig()
        config.setDefaultAccount(did)
        try writeConfig(config)
    }

    func writeConfig(_ config: StoreConfig) throws {
        let data: Data
        do {
            data = try config.encoded()
        } catch {
            throw AccountStoreError(
                .corruptFile, path: configPlace.display, "cannot encode the configuration: \(error)")
        }
        try PrivateFiles.writeAtomically(data, to: configPlace)
        PrivateFiles.sweepStaleTemporaryFiles(of: configPlace, olderThan: Self.staleTemporaryFileAge)
    }
}
