import ArgumentParser

@main
struct ATProtoOAuthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "atproto-oauth",
        abstract: "Log in to ATProto accounts with OAuth (PAR + PKCE + DPoP) and keep the sessions alive.",
        version: "0.1.0",
        subcommands: [DiscoverCommand.self, DevServerCommand.self]
    )
}
