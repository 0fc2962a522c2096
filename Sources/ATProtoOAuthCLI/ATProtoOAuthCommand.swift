import ArgumentParser
import Foundation

@main
struct ATProtoOAuthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "atproto-oauth",
        abstract: "Log in to ATProto accounts with OAuth (PAR + PKCE + DPoP) and keep the sessions alive.",
        discussion: """
            Accounts live in $ATPROTO_OAUTH_HOME (default $XDG_STATE_HOME/atproto-oauth or \
            ~/.local/state/atproto-oauth): one 0600 file per DID in a 0700 directory.

            \(ExitCodes.helpText)
            """,
        version: "0.1.0",
        subcommands: [
            LoginCommand.self, AccountsCommand.self, StatusCommand.self, SwitchCommand.self, RefreshCommand.self,
            TokenCommand.self, APICommand.self, ProxyCommand.self, LogoutCommand.self, DiscoverCommand.self,
            TUICommand.self, StoreCommand.self,
            DemoCommand.self, DevServerCommand.self, CompletionCommand.self, GenerateManualCommand.self,
        ],
        defaultSubcommand: TUICommand.self
    )

    /// ArgumentParser exits 64 (EX_USAGE) on a usage error; our contract, like most CLIs
    /// scripts meet (`gh`, `git`), is 2. Errors are reported by the command that raised them,
    /// so a usage error thrown by `login` shows `login`'s usage line.
    static func main() async {
        // SIGTERM/SIGINT/SIGHUP wait for a refresh in flight to save its new tokens (R24).
        InterruptGuard.installOnFirstRefresh()
        let command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            fail(error, reportedBy: Self.self)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var command = command
                try command.run()
            }
        } catch {
            let name = type(of: command).configuration.commandName.map { " \($0)" } ?? ""
            fail(error, reportedBy: type(of: command), usage: "See 'atproto-oauth\(name) --help' for usage.")
        }
    }

    private static func fail(
        _ error: any Error, reportedBy type: any ParsableCommand.Type, usage: String? = nil
    ) -> Never {
        if type.exitCode(for: error) == .validationFailure {
            let message = usage.map { "Error: \(error)\n\($0)" } ?? type.fullMessage(for: error)
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Foundation.exit(ExitCodes.usage.rawValue)
        }
        type.exit(withError: error)
    }
}
