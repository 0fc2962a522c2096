import ATProtoAccountStore
import ATProtoOAuth
import ATProtoOAuthClient
import ATProtoPostgresStore
import ArgumentParser
import Foundation

/// `atproto-oauth store …`: the store itself — its key, and moving accounts between stores.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Manage the account store: the PostgreSQL key, moving accounts.",
        subcommands: [StoreInitKeyCommand.self, StoreMoveCommand.self])
}

struct StoreInitKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init-key",
        abstract: "Write a new encryption key for the PostgreSQL store (32 random bytes, base64, mode 0600).",
        discussion: """
            Never replaces an existing file: sessions sealed with a key cannot be read without it. \
            Use it with --store-key-file PATH, or put its content in $ATPROTO_OAUTH_STORE_KEY.
            """)

    @Argument(help: "Where to write the key file.") var path: String

    func run() async throws {
        try await ErrorReporting.run {
            let key = try StoreKey.writeNew(to: path)
            Terminal.output("wrote a new store key to \(path) (\(key))")
        }
    }
}

struct StoreMoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "move",
        abstract: "Move every account (or one) from the current store to another: file ↔ PostgreSQL.",
        discussion: """
            Each session is written to the destination under both stores' locks, read back and \
            compared, and only then deleted from the current store: moved, never copied, because \
            two live copies of a rotating refresh token get the session revoked (R24). A move that \
            was interrupted is finished by running it again: an account found in both stores keeps \
            the newer session and is deleted from the current store.

            \(ExitCodes.helpText)
            """)

    @Option(help: "The destination store: a directory or a postgres:// URL.") var to: String
    @Option(
        name: .customLong("to-key-file"),
        help: "The destination PostgreSQL store's key file (default: --store-key-file, else $ATPROTO_OAUTH_STORE_KEY).")
    var toKeyFile: String?
    @Argument(help: "Handle, DID or unique prefix (default: every account).", completion: .accounts)
    var account: String?
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await ErrorReporting.run {
            let destination = try GlobalOptions.makeStore(
                location: to, keyFile: toKeyFile ?? options.storeKeyFile, timeout: options.timeout)
            do {
                try await move(to: destination)
                await options.shutdown(destination)
            } catch {
                await options.shutdown(destination)
                throw error
            }
        }
    }

    private func move(to destination: any SessionStore) async throws {
        try await CommandRuntime.with(options) { runtime in
            let targets: [Session]
            if let account {
                targets = [try await runtime.account(account)]
            } else {
                targets = try await runtime.client.list().sessions
            }
            let sourceDefault = await runtime.defaultAccount()
            let mover = StoreMover(
                source: runtime.store, destination: destination, lockTimeout: runtime.client.configuration.lockTimeout)
            var failures: [any Error] = []
            for session in targets {
                let name = session.handle.map { "\($0.rawValue) (\(session.did.rawValue))" } ?? session.did.rawValue
                do {
                    try await mover.move(session.did)
                    if sourceDefault == session.did, let target = destination as? any DefaultAccountStore,
                        await target.defaultAccount() == nil
                    {
                        try? await target.setDefault(session.did)
                    }
                    Terminal.output("moved \(name)")
                } catch {
                    Terminal.info("error: \(name): \(ErrorReporting.message(for: error))")
                    failures.append(error)
                }
            }
            if targets.isEmpty { Terminal.output("No accounts to move.") }
            if let first = failures.first { throw ErrorReporting.exitCode(for: first) }
        }
    }
}

/// Moves sessions between two stores so that an account is never live in both.
///
/// Per account, holding the source's lock and then the destination's (so no refresh runs in
/// either meanwhile): load from the source; write to the destination unless it already holds
/// that exact session or a newer one (an interrupted earlier move); read it back and compare;
/// then delete from the source. Every step may be repeated: running the move again after a
/// crash at any point finishes it without losing or duplicating the session.
struct StoreMover: Sendable {
    let source: any SessionStore
    let destination: any SessionStore
    let lockTimeout: Duration

    func move(_ did: DID) async throws {
        let source = self.source
        let destination = self.destination
        try await source.withLock(did, timeout: lockTimeout) {
            try await destination.withLock(did, timeout: lockTimeout) {
                let session = try await source.load(did)
                let existing = try? await destination.load(did)
                let encoded = try session.encoded()
                if let existing, try existing.encoded() != encoded, Self.isNewer(existing, than: session) {
                    // An earlier, interrupted move already wrote it, and it has been used (refreshed)
                    // there since: the destination's is the live one.
                } else if try existing?.encoded() != encoded {
                    try await destination.save(session)
                    let readBack = try await destination.load(did)
                    guard try readBack.encoded() == encoded else {
                        throw AccountStoreError(
                            .corruptFile,
                            "\(did): the session read back from the destination differs; it stays in the current store")
                    }
                }
                try await source.delete(did)
            }
        }
    }

    /// Whether `a` holds a later token set than `b` (refreshed later, or issued later).
    static func isNewer(_ a: Session, than b: Session) -> Bool {
        let aTime = a.refreshedAt ?? a.createdAt
        let bTime = b.refreshedAt ?? b.createdAt
        return aTime > bTime
    }
}
