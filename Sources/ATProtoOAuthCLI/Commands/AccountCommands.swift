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
            let (listing, defaultDID) = try await CommandRuntime.with(options) { runtime in
                (try await runtime.client.summaries(), await runtime.defaultAccount())
            }
            let now = Date()
            let reports = listing.reports(defaultDID: defaultDID, now: now)
            if json {
                Terminal.output(AccountsDocument(accounts: reports, problems: listing.problemReports).prettyJSON())
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
            needs-login. Nothing is refreshed or sent over the network, unless --check.

            --check asks each account's PDS (com.atproto.server.getSession, at most 4 at a time) \
            whether the session still works, refreshing first where needed (R25). A session the \
            servers refuse is stored as needs-login and reported with the server's answer; exit 1 \
            if any account needs a login or could not be checked.

            \(ExitCodes.helpText)
            """)

    @Argument(
        help: "Handle, DID or unique prefix (default: --account, $ATPROTO_OAUTH_ACCOUNT, else every account).",
        completion: .accounts)
    var account: String?
    @Flag(help: "Print {accounts, problems} as JSON ({accounts, problems, checks} with --check).") var json = false
    @Flag(help: "Ask each account's PDS whether the session still works; mark refused ones needs-login.")
    var check = false
    @OptionGroup var accountOption: AccountOption
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await ErrorReporting.run(usingSession: check) {
            let now = Date()
            let (selected, checks, listing, defaultDID) = try await CommandRuntime.with(options) { runtime in
                let selected = try await accountOption.query(argument: account).asyncMap {
                    try await runtime.account($0).did
                }
                var checks: [CheckReport] = []
                if check {
                    let targets: [DID]
                    if let selected {
                        targets = [selected]
                    } else {
                        targets = try await runtime.client.summaries().summaries.map(\.did)
                    }
                    checks = try await runtime.client.check(targets).map { CheckReport(did: $0.did, check: $0.check) }
                }
                // Read after the check: what it marked shows as needs-login.
                return (selected, checks, try await runtime.client.summaries(), await runtime.defaultAccount())
            }
            var reports = listing.reports(defaultDID: defaultDID, now: now)
            var problems = listing.problemReports
            if let selected {
                reports = reports.filter { $0.did == selected.rawValue }
                problems = []
            }
            if json, check {
                try Terminal.printJSON(StatusCheckDocument(accounts: reports, problems: problems, checks: checks))
            } else if json {
                try Terminal.printJSON(AccountsDocument(accounts: reports, problems: problems))
            } else {
                if reports.isEmpty && problems.isEmpty {
                    Terminal.output("No accounts yet. Add one with: atproto-oauth login <handle>")
                }
                Terminal.output(reports.map { $0.statusBlock(now: now) }.joined(separator: "\n\n"))
                for problem in problems { Terminal.info("warning: \(problem.file): \(problem.reason)") }
                if check, !checks.isEmpty {
                    let names = Dictionary(reports.map { ($0.did, $0.name) }, uniquingKeysWith: { first, _ in first })
                    Terminal.output("\nChecked with each PDS:")
                    for report in checks { Terminal.output("  " + report.line(name: names[report.did] ?? report.did)) }
                }
            }
            if reports.contains(where: { $0.state == .needsLogin }) || !problems.isEmpty
                || checks.contains(where: \.needsAttention)
            {
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
            let session = try await CommandRuntime.with(options) { runtime in
                let session = try await runtime.account(account)
                try await runtime.client.setDefault(session.did)
                return session
            }
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

extension SummaryListing {
    func reports(defaultDID: DID?, now: Date) -> [AccountReport] {
        summaries.map { AccountReport($0, isDefault: $0.did == defaultDID, now: now) }
    }

    /// Each unreadable entry: a file of the file store, a row of a database.
    var problemReports: [StoreProblemReport] {
        problems.map { StoreProblemReport(file: $0.location, reason: $0.reason) }
    }
}

extension Optional {
    /// `map` with an async transform.
    func asyncMap<U>(_ transform: (Wrapped) async throws -> U) async rethrows -> U? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
