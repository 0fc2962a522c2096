import ArgumentParser
import Foundation

/// `generate-manual` (hidden): prints the man page `atproto-oauth.1` (man(7) format), made from
/// the command definitions, so it cannot drift from `--help`. The repository keeps its output
/// in `Documentation/atproto-oauth.1`; a test regenerates it and fails when that copy is stale.
struct GenerateManualCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-manual",
        abstract: "Print the man page atproto-oauth.1, generated from the command definitions.",
        shouldDisplay: false)

    func run() throws {
        let page = try ManualPage.render()
        FileHandle.standardOutput.write(Data(page.utf8))
    }
}

/// Renders the command tree that ArgumentParser describes (its `--experimental-dump-help`
/// document) as one man page. No date goes in, so regenerating an unchanged tool gives the
/// same bytes.
enum ManualPage {
    static func render() throws -> String {
        let tool = try decode(ATProtoOAuthCommand._dumpHelp())
        let global = try decode(GlobalOptions._dumpHelp())
        let globalNames = Set((global.arguments ?? []).compactMap(\.preferredName?.name))
        var page = ManualText()
        let version = ATProtoOAuthCommand.configuration.version
        page.macro(".TH", ["ATPROTO-OAUTH", "1", "", "atproto-oauth \(version)", "User Commands"].map(quoted))
        page.macro(".SH NAME")
        page.text("\(escaped(tool.commandName)) \\- \(escaped(tool.abstract ?? ""))", raw: true)
        page.macro(".SH SYNOPSIS")
        page.text("\\fB\(escaped(tool.commandName))\\fR \\fIcommand\\fR [\\fIoptions\\fR]", raw: true)
        page.macro(".SH DESCRIPTION")
        page.paragraphs(withoutExitCodes(tool.discussion ?? ""))

        page.macro(".SH COMMANDS")
        for command in (tool.subcommands ?? []) where command.shouldDisplay {
            renderCommand(command, parents: [tool.commandName], globalNames: globalNames, into: &page)
        }

        page.macro(".SH GLOBAL OPTIONS")
        page.text("Every command that talks to servers or reads the store accepts these.")
        for argument in (global.arguments ?? []) where argument.shouldDisplay && !isHelp(argument) {
            renderArgument(argument, into: &page)
        }

        page.macro(".SH ENVIRONMENT")
        for (name, meaning) in environment {
            page.macro(".TP")
            page.text("\\fB\(escaped(name))\\fR", raw: true)
            page.text(meaning)
        }
        page.macro(".SH FILES")
        page.text(
            "$ATPROTO_OAUTH_HOME (default $XDG_STATE_HOME/atproto-oauth, else ~/.local/state/atproto-oauth): "
                + "a 0700 directory with accounts/<did>.json (0600, one per account), config.json (the default "
                + "account) and locks/.")
        page.macro(".SH EXIT STATUS")
        page.preformatted(exitCodes)
        page.macro(".SH SEE ALSO")
        page.text("atproto-oauth \\fIcommand\\fR \\-\\-help; the README of the atproto-oauth package.", raw: true)
        return page.rendered
    }

    private static func renderCommand(
        _ command: Command, parents: [String], globalNames: Set<String>, into page: inout ManualText
    ) {
        let path = parents + [command.commandName]
        let arguments = (command.arguments ?? []).filter {
            $0.shouldDisplay && !isHelp($0) && !globalNames.contains($0.preferredName?.name ?? "\u{0}")
        }
        page.macro(".SS", [quoted(path.joined(separator: " "))])
        let synopsis = arguments.map(synopsisWord).joined(separator: " ")
        let takesGlobals = (command.arguments ?? []).contains { globalNames.contains($0.preferredName?.name ?? "") }
        page.text(
            "\\fB\(escaped(path.joined(separator: " ")))\\fR \(synopsis)\(takesGlobals ? " [\\fIglobal options\\fR]" : "")",
            raw: true)
        if let aliases = command.aliases, !aliases.isEmpty {
            page.macro(".br")
            page.text("Also: " + aliases.map { (parents + [$0]).joined(separator: " ") }.joined(separator: ", "))
        }
        page.macro(".PP")
        page.text(command.abstract ?? "")
        let discussion = withoutExitCodes(command.discussion ?? "")
        if !discussion.isEmpty {
            page.macro(".PP")
            page.paragraphs(discussion)
        }
        for argument in arguments { renderArgument(argument, into: &page) }
        for sub in (command.subcommands ?? []) where sub.shouldDisplay {
            renderCommand(sub, parents: path, globalNames: globalNames, into: &page)
        }
    }

    private static func renderArgument(_ argument: Argument, into page: inout ManualText) {
        page.macro(".TP")
        let names = (argument.names ?? []).map { name in
            "\\fB" + (name.kind == "short" ? "\\-" : "\\-\\-") + escaped(name.name) + "\\fR"
        }
        let value = argument.valueName.map { "\\fI<\(escaped($0))>\\fR" }
        switch argument.kind {
        case "positional":
            page.text(value ?? "", raw: true)
        case "option":
            page.text(names.joined(separator: ", ") + (value.map { " " + $0 } ?? ""), raw: true)
        default:
            page.text(names.joined(separator: ", "), raw: true)
        }
        var help = argument.abstract ?? ""
        if let defaultValue = argument.defaultValue, argument.kind == "option", !defaultValue.isEmpty {
            help += " (default: \(defaultValue))"
        }
        if argument.isRepeating { help += " Repeatable." }
        page.text(help)
    }

    private static func synopsisWord(_ argument: Argument) -> String {
        let name: String
        switch argument.kind {
        case "positional":
            name = "\\fI<\(escaped(argument.valueName ?? "value"))>\\fR"
        default:
            let flag = argument.preferredName.map { ($0.kind == "short" ? "\\-" : "\\-\\-") + escaped($0.name) } ?? ""
            let value = argument.kind == "option" ? " \\fI<\(escaped(argument.valueName ?? "value"))>\\fR" : ""
            name = "\\fB\(flag)\\fR" + value
        }
        let repeated = argument.isRepeating ? " ..." : ""
        return argument.isOptional ? "[\(name)\(repeated)]" : name + repeated
    }

    private static func isHelp(_ argument: Argument) -> Bool {
        ["help", "version", "experimental-dump-help"].contains(argument.preferredName?.name ?? "")
    }

    /// Discussions end with the shared exit-code table; the page has it once, under EXIT STATUS.
    private static func withoutExitCodes(_ discussion: String) -> String {
        discussion.replacingOccurrences(of: ExitCodes.helpText, with: "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static var exitCodes: String {
        ExitCodes.helpText.split(separator: "\n").dropFirst()
            .map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n")
    }

    private static let environment: [(String, String)] = [
        ("ATPROTO_OAUTH_HOME", "The account store directory (--store wins)."),
        (
            "ATPROTO_OAUTH_ACCOUNT",
            "The account to use when a command that takes [<account>] gets neither the argument nor --account; "
                + "it never changes the stored default."
        ),
        ("XDG_STATE_HOME", "The store is $XDG_STATE_HOME/atproto-oauth when ATPROTO_OAUTH_HOME is unset."),
        ("BROWSER", "The program that opens the authorization URL (split like a shell command; the URL is appended)."),
        ("SSH_CONNECTION, DISPLAY", "Over SSH with neither DISPLAY nor BROWSER set, login suggests --paste."),
        ("HTTPS_PROXY, NO_PROXY", "The proxy for https requests, and the hosts that bypass it."),
        ("SSL_CERT_FILE", "Extra PEM trust roots when --ca-file is not given."),
        ("NO_COLOR", "Turns off colour in the terminal interface."),
    ]

    // MARK: man(7) text

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\e").replacingOccurrences(of: "-", with: "\\-")
    }

    private static func quoted(_ text: String) -> String {
        "\"" + escaped(text).replacingOccurrences(of: "\"", with: "\\(dq") + "\""
    }

    // MARK: the dump-help document (the fields the page uses)

    private static func decode(_ json: String) throws -> Command {
        struct Document: Decodable { var command: Command }
        do {
            return try JSONDecoder().decode(Document.self, from: Data(json.utf8)).command
        } catch {
            throw ValidationError("cannot read ArgumentParser's description of the commands: \(error)")
        }
    }

    struct Command: Decodable {
        var commandName: String
        var aliases: [String]?
        var abstract: String?
        var discussion: String?
        var shouldDisplay: Bool
        var subcommands: [Command]?
        var arguments: [Argument]?
    }

    struct Argument: Decodable {
        struct Name: Decodable {
            var kind: String
            var name: String
        }
        var kind: String
        var shouldDisplay: Bool
        var isOptional: Bool
        var isRepeating: Bool
        var names: [Name]?
        var preferredName: Name?
        var valueName: String?
        var defaultValue: String?
        var abstract: String?
    }
}

/// man(7) source being built: request lines, and text lines escaped so that none starts a
/// request by accident.
struct ManualText {
    private var lines: [String] = []

    mutating func macro(_ name: String, _ arguments: [String] = []) {
        lines.append(([name] + arguments).joined(separator: " "))
    }

    /// One text line; `raw` text already carries its font escapes and is only guarded.
    mutating func text(_ text: String, raw: Bool = false) {
        let line = raw ? text : ManualPage.escaped(text)
        guard !line.isEmpty else { return }
        lines.append(line.hasPrefix(".") || line.hasPrefix("'") ? "\\&" + line : line)
    }

    /// Paragraphs separated by blank lines; indented lines (examples) are kept as they are.
    mutating func paragraphs(_ discussion: String) {
        var first = true
        for paragraph in discussion.components(separatedBy: "\n\n") {
            let trimmed = paragraph.trimmingCharacters(in: .newlines)
            guard !trimmed.isEmpty else { continue }
            if !first { macro(".PP") }
            first = false
            let paragraphLines = trimmed.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            var prose: [String] = []
            var example: [String] = []
            func flushProse() {
                if !prose.isEmpty { text(prose.joined(separator: " ")) }
                prose = []
            }
            func flushExample() {
                if !example.isEmpty { preformatted(example.joined(separator: "\n")) }
                example = []
            }
            for line in paragraphLines {
                if line.hasPrefix(" ") {
                    flushProse()
                    example.append(line)
                } else {
                    flushExample()
                    prose.append(line)
                }
            }
            flushProse()
            flushExample()
        }
    }

    /// Lines shown as typed (examples, tables).
    mutating func preformatted(_ text: String) {
        macro(".nf")
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let escapedLine = ManualPage.escaped(String(line))
            lines.append(escapedLine.hasPrefix(".") || escapedLine.hasPrefix("'") ? "\\&" + escapedLine : escapedLine)
        }
        macro(".fi")
    }

    var rendered: String { lines.joined(separator: "\n") + "\n" }
}
