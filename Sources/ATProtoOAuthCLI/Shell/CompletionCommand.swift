import ArgumentParser
import Foundation

/// `completion bash|zsh|fish`: the shell completion script, generated from the command
/// definitions. `<account>` and `--account` complete from the store's handles and DIDs: the
/// script asks this binary, which reads the store named on the command line (`--store`) or
/// the default one, without touching the network.
struct CompletionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "completion",
        abstract: "Print the shell completion script (bash, zsh or fish).",
        discussion: """
            <account> completes from the stored accounts' handles and DIDs (read from the store, \
            never from the network). Install:
              bash  atproto-oauth completion bash > ~/.local/share/bash-completion/completions/atproto-oauth
              zsh   atproto-oauth completion zsh > "${fpath[1]}/_atproto-oauth"
              fish  atproto-oauth completion fish > ~/.config/fish/completions/atproto-oauth.fish
            """)

    @Argument(help: ArgumentHelp("The shell: bash, zsh or fish.", valueName: "shell"), completion: .list(Self.shells))
    var shell: String

    static let shells = ["bash", "zsh", "fish"]

    func validate() throws {
        guard Self.shells.contains(shell), CompletionShell(rawValue: shell) != nil else {
            throw ValidationError("unknown shell '\(shell)'; choose one of: \(Self.shells.joined(separator: ", "))")
        }
    }

    func run() throws {
        guard let shell = CompletionShell(rawValue: shell) else { throw ExitCodes.usage }
        let script = ATProtoOAuthCommand.completionScript(for: shell)
        FileHandle.standardOutput.write(Data((script.hasSuffix("\n") ? script : script + "\n").utf8))
    }
}
