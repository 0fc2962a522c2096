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
            TokenCommand.self, RequestCommand.self, LogoutCommand.self, DiscoverCommand.self, TUICommand.self,
            DemoCommand.self, DevServerCommand.self,
        ],
        defaultSubcommand: TUICommand.self
    )

    /// ArgumentParser exits 64 (EX_USAGE) on a usage error; our contract, like most CLIs
    /// scripts meet (`gh`, `git`), is 2. Everything else keeps ArgumentParser's handling.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(ExitCodes.usage.rawValue)
            }
            exit(withError: error)
        }
    }
}
