import ATProtoAccountStore
import ATProtoOAuth
import ATProtoOAuthClient
import ArgumentParser
import Foundation

struct RefreshCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refresh",
        abstract: "Refresh an account's tokens now (or every account with --all, in parallel).",
        discussion: ExitCodes.helpText)

    @Argument(
        help: "Handle, DID or unique prefix (default: --account, $ATPROTO_OAUTH_ACCOUNT, else the default account).",
        completion: .accounts)
    var account: String?
    @Flag(help: "Refresh every account, --jobs at a time.") var all = false
    @Option(help: "With --all: how many accounts to refresh at once (1–64).") var jobs: Int = OAuthClientConfiguration
        .defaultRefreshConcurrency
    @Flag(help: "Print the refreshed accounts as JSON.") var json = false
    @OptionGroup var accountOption: AccountOption
    @OptionGroup var options: GlobalOptions

    func validate() throws {
        if all && (account != nil || accountOption.account != nil) {
            throw ValidationError("give an account or --all, not both")
        }
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 64") }
    }

    func run() async throws {
        try await ErrorReporting.run(usingSession: true) {
            try await CommandRuntime.with(options, jobs: jobs) { runtime in
                let targets: [DID]? =
                    all ? nil : [try await runtime.account(accountOption.query(argument: account)).did]
                let results = try await runtime.client.refreshAll(targets)
                let defaultDID = await runtime.defaultAccount()
                let now = Date()
                var reports: [AccountReport] = []
                var failures: [(DID, any Error)] = []
                for (did, result) in results {
                    switch result {
                    case .success(let session):
                        reports.append(AccountReport(session, isDefault: did == defaultDID, now: now))
                    case .failure(let error): failures.append((did, error))
                    }
                }
                if json {
                    try Terminal.printJSON(reports)
                } else {
                    for report in reports {
                        Terminal.output(
                            "refreshed \(report.name): token expires \(Terminal.relative(report.accessTokenExpiresAt, now: now))"
                        )
                    }
                }
                for (did, error) in failures { Terminal.info("error: \(did): \(ErrorReporting.message(for: error))") }
                if let (_, error) = failures.first { throw ErrorReporting.exitCode(for: error, usingSession: true) }
            }
        }
    }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Print a valid access token for an account, refreshing it first if needed.",
        discussion: """
            The token is a secret and is DPoP-bound: it is useless without the account's DPoP key, \
            which never leaves the store. Prefer `atproto-oauth api`, or `atproto-oauth proxy` for other programs.

            \(ExitCodes.helpText)
            """)

    @Argument(
        help: "Handle, DID or unique prefix (default: --account, $ATPROTO_OAUTH_ACCOUNT, else the default account).",
        completion: .accounts)
    var account: String?
    @Flag(help: "Print {did, accessToken, tokenType, expiresAt} as JSON.") var json = false
    @OptionGroup var accountOption: AccountOption
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await ErrorReporting.run(usingSession: true) {
            try await CommandRuntime.with(options) { runtime in
                let did = try await runtime.account(accountOption.query(argument: account)).did
                let session = try await runtime.client.restore(did)
                if json {
                    try Terminal.printJSON(
                        TokenDocument(
                            did: session.did.rawValue, accessToken: session.accessToken, tokenType: "DPoP",
                            expiresAt: session.expiresAt))
                } else {
                    Terminal.output(session.accessToken)
                }
            }
        }
    }

    struct TokenDocument: Codable {
        var did: String
        var accessToken: String
        var tokenType: String
        var expiresAt: Date
    }
}

struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Revoke an account's session at its authorization server (R27) and delete it (--all: every account).",
        discussion: """
            If revocation fails the account is still deleted unless --keep-on-error is given; \
            the failure is reported either way. --all logs every account out, --jobs at a time, \
            and reports each; the exit code is that of the first failure.

            \(ExitCodes.helpText)
            """)

    @Argument(
        help: "Handle, DID or unique prefix (default: --account, $ATPROTO_OAUTH_ACCOUNT, else the default account).",
        completion: .accounts)
    var account: String?
    @Flag(help: "Log every account out.") var all = false
    @Option(help: "With --all: how many accounts to log out at once (1–64).") var jobs: Int = OAuthClientConfiguration
        .defaultRefreshConcurrency
    @Flag(name: .customLong("keep-on-error"), help: "Keep the account if revocation fails.")
    var keepOnError = false
    @Flag(help: "Print {did, revoked, deleted} as JSON (--all: an array of them).") var json = false
    @OptionGroup var accountOption: AccountOption
    @OptionGroup var options: GlobalOptions

    func validate() throws {
        if all && (account != nil || accountOption.account != nil) {
            throw ValidationError("give an account or --all, not both")
        }
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 64") }
    }

    func run() async throws {
        try await ErrorReporting.run {
            try await CommandRuntime.with(options, jobs: jobs) { runtime in
                if all { return try await logoutAll(runtime) }
                let session = try await runtime.account(accountOption.query(argument: account))
                let name = session.handle?.rawValue ?? session.did.rawValue
                let outcome = try await runtime.client.logout(session.did, keepOnRevocationFailure: keepOnError)
                let revocationError = outcome.revocationError
                if let revocationError {
                    Terminal.info(Self.revocationFailure(name, deleted: outcome.deleted, revocationError))
                }
                let delete = outcome.deleted
                if json {
                    try Terminal.printJSON(
                        LogoutDocument(did: session.did.rawValue, revoked: revocationError == nil, deleted: delete))
                } else {
                    Terminal.output(
                        delete
                            ? "Logged out \(name)\(revocationError == nil ? "" : " (session not revoked)")"
                            : "Kept \(name): revocation failed (--keep-on-error)")
                }
                if let revocationError { throw ErrorReporting.exitCode(for: revocationError) }
            }
        }
    }

    /// An error line, not a warning: the exit status is the failure's (7, 4 …).
    static func revocationFailure(_ name: String, deleted: Bool, _ error: any Error) -> String {
        let fate =
            deleted
            ? "deleted here anyway; the grant lives on at the server until it expires"
            : "kept, as --keep-on-error asks"
        return "error: revocation failed for \(name) (R27; \(fate)): \(ErrorReporting.message(for: error))"
    }

    /// `--all`: every account, each reported; the first failure decides the exit code.
    private func logoutAll(_ runtime: CommandRuntime) async throws {
        let names = Dictionary(
            try await runtime.client.summaries().summaries.map { ($0.did, $0.handle?.rawValue ?? $0.did.rawValue) },
            uniquingKeysWith: { first, _ in first })
        let results = try await runtime.client.logoutAll(keepOnRevocationFailure: keepOnError)
        var documents: [LogoutDocument] = []
        var failures: [any Error] = []
        for (did, result) in results {
            let name = names[did] ?? did.rawValue
            switch result {
            case .success(let outcome):
                if let error = outcome.revocationError {
                    Terminal.info(Self.revocationFailure(name, deleted: outcome.deleted, error))
                    failures.append(error)
                }
                documents.append(LogoutDocument(did: did.rawValue, revoked: outcome.revoked, deleted: outcome.deleted))
                if !json {
                    Terminal.output(
                        outcome.deleted
                            ? "Logged out \(name)\(outcome.revoked ? "" : " (session not revoked)")"
                            : "Kept \(name): revocation failed (--keep-on-error)")
                }
            case .failure(let error):
                Terminal.info("error: \(name): \(ErrorReporting.message(for: error))")
                failures.append(error)
            }
        }
        if json {
            try Terminal.printJSON(documents)
        } else if results.isEmpty {
            Terminal.output("No accounts to log out.")
        }
        if let error = failures.first { throw ErrorReporting.exitCode(for: error) }
    }

    struct LogoutDocument: Codable {
        var did: String
        var revoked: Bool
        var deleted: Bool
    }
}
