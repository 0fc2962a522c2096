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
            Under both stores' locks, each session is first marked as moving in the current store \
            (a marked copy is never used, refreshed or revoked), then written to the destination, \
            read back and compared, and only then deleted from the current store: moved, never \
            copied, because two live copies of a rotating refresh token get the session revoked \
            (R24). A move that was interrupted (even by SIGKILL) is finished by running it again: \
            an account found in both stores keeps the newer session and is deleted from the \
            current store; until then its marked copy refuses to be used and says so (exit 6).

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
            // Named in the mark an interrupted move leaves: the directory, or the URL without
            // its password.
            let name = (destination as? PostgresSessionStore)?.description ?? URL(fileURLWithPath: to).path
            let mover = SessionStoreMover(
                source: runtime.store, destination: destination, destinationName: name,
                lockTimeout: runtime.client.configuration.lockTimeout)
            let names = Dictionary(
                targets.map { session in
                    (
                        session.did,
                        session.handle.map { "\($0.rawValue) (\(session.did.rawValue))" } ?? session.did.rawValue
                    )
                }, uniquingKeysWith: { first, _ in first })
            let results = try await mover.moveAll(targets.map(\.did))
            for (did, result) in results {
                let name = names[did] ?? did.rawValue
                switch result {
                case .success: Terminal.output("moved \(name)")
                case .failure(let error): Terminal.info("error: \(name): \(ErrorReporting.message(for: error))")
                }
            }
            if targets.isEmpty { Terminal.output("No accounts to move.") }
            for (_, result) in results {
                if case .failure(let error) = result { throw ErrorReporting.exitCode(for: error) }
            }
        }
    }
}
