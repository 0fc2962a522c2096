import ATProtoAccountStore
import ATProtoOAuth
import ArgumentParser
import Foundation

struct AccountsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounts", abstract: "List stored accounts (* marks the default).", aliases: ["list"])

    @Flag(help: "Print {accounts, problems} as JSON.") var json = false
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await ErrorReporting.run {
            let store = try options.makeStore()
            let listing = store.loadAll()
            let now = Date()
            let reports = listing.reports(defaultDID: store.defaultAccount(), now: now)
            if json {
                try Terminal.printJSON(AccountsDocument(accounts: reports, problems: listing.problemReports))
                return
            }
            if reports.isEmpty && listing.problems.isEmpty {
                Terminal.output("No accounts yet. Add one with: atproto-oauth login <handle>")
            }
            for report in reports { Terminal.output(report.listLine(now: now)) }
            for problem in listing.problemReports { Terminal.info("warning: \(problem.file): \(problem.reason)") }
        }
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each account's tokens, expiry, scope and state; exit 1 if any needs attention.",
        discussion: """
            States: ok, expiring (under 60 s left; the next use refreshes), expired-refreshable, \
            needs-login. Nothing is refreshed or sent over the network.

            \(ExitCodes.helpText)
            """)

    @Argument(
        help: "Handle, DID or unique prefix (default: --account, $ATPROTO_OAUTH_ACCOUNT, else every account).",
        completion: .accounts)
    var account: String?
    @Flag(help: "Print {accounts, problems} as JSON.") var json = false
    @OptionGroup var accountOption: AccountOption
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await ErrorReporting.run {
            let store = try options.makeStore()
            let now = Date()
            let listing = store.loadAll()
            var reports = listing.reports(defaultDID: store.defaultAccount(), now: now)
            var problems = listing.problemReports
            if let account = accountOption.query(argument: account) {
                let session = try store.resolve(account)
                reports = reports.filter { $0.did == session.did.rawValue }
                problems = []
            }
            if json {
                try Terminal.printJSON(AccountsDocument(accounts: reports, problems: problems))
            } else {
                if reports.isEmpty && problems.isEmpty {
                    Terminal.output("No accounts yet. Add one with: atproto-oauth login <handle>")
                }
                Terminal.output(reports.map { $0.statusBlock(now: now) }.joined(separator: "\n\n"))
                for problem in problems { Terminal.info("warning: \(problem.file): \(problem.reason)") }
            }
            if reports.contains(where: { $0.state == .needsLogin }) || !problems.isEmpty {
                throw ExitCodes.attention
            }
        }
    }
}

struct SwitchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switch", abstract: "Make an account the default for commands that take [<account>].")

    @Argument(help: "Handle, DID or unique prefix.", completion: .accounts) var account: String
    @Flag(help: "Print the new default account as JSON.") var json = false
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await ErrorReporting.run {
            let store = try options.makeStore()
            let session = try store.resolve(account)
            try store.setDefault(session.did)
            let report = AccountReport(session, isDefault: true, now: Date())
            if json {
                try Terminal.printJSON(report)
            } else {
                Terminal.output("Default account: \(report.name) (\(report.did))")
            }
        }
    }
}

/// The `--json` document of `accounts` and `status`.
struct AccountsDocument: Codable {
    var accounts: [AccountReport]
    var problems: [StoreProblemReport]
}

extension AccountListing {
    func reports(defaultDID: DID?, now: Date) -> [AccountReport] {
        sessions.map { AccountReport($0, isDefault: $0.did == defaultDID, now: now) }
    }

    var problemReports: [StoreProblemReport] {
        problems.map { StoreProblemReport(file: $0.file, reason: $0.reason) }
    }
}

extension AccountStore {
    /// The account a command names, or the default account when it names none.
    func account(_ query: String?) throws -> Session {
        if let query { return try resolve(query) }
        guard let did = defaultAccount() else {
            throw AccountStoreError(
                .noAccounts, path: directory.path,
                "no account named and no default account; name one, or run `atproto-oauth switch <account>`")
        }
        return try load(did)
    }
}
