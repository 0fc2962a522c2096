import Foundation

/// Opens the authorization URL the way a desktop user expects.
///
/// `$BROWSER` wins (split like a shell command, the URL appended as the last argument, so
/// `BROWSER="firefox --new-window"` works); otherwise `xdg-open` when it is on `PATH`.
/// The URL is always printed by the caller too, so a headless user can copy it.
public enum BrowserLauncher {
    public enum Outcome: Sendable, Equatable {
        case launched(command: String)
        case notAvailable
        case failed(command: String, reason: String)
    }

    public static func open(_ url: URL, environment: [String: String]) -> Outcome {
        let command: [String]
        if let browser = environment["BROWSER"], !browser.trimmingCharacters(in: .whitespaces).isEmpty {
            command = splitShellWords(browser)
        } else if let xdgOpen = findExecutable("xdg-open", path: environment["PATH"]) {
            command = [xdgOpen]
        } else {
            return .notAvailable
        }
        guard let program = command.first else { return .notAvailable }
        let process = Process()
        process.executableURL =
            program.contains("/")
            ? URL(fileURLWithPath: program)
            : findExecutable(program, path: environment["PATH"]).map(URL.init(fileURLWithPath:))
        guard process.executableURL != nil else {
            return .failed(command: program, reason: "not found on PATH")
        }
        process.arguments = Array(command.dropFirst()) + [url.absoluteString]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return .failed(command: program, reason: "\(error)")
        }
        return .launched(command: program)
    }

    /// Splits a command line into words: whitespace separates, single quotes are literal,
    /// double quotes allow `\"` and `\\`, a backslash outside quotes escapes one character.
    public static func splitShellWords(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaping = false
        for character in line {
            if escaping {
                current.append(character)
                escaping = false
                continue
            }
            switch (quote, character) {
            case (nil, "\\"), ("\"", "\\"):
                escaping = true
                inWord = true
            case (nil, "'"), (nil, "\""):
                quote = character
                inWord = true
            case ("'", "'"), ("\"", "\""):
                quote = nil
            case (nil, _) where character.isWhitespace:
                if inWord { words.append(current) }
                current = ""
                inWord = false
            default:
                current.append(character)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }

    static func findExecutable(_ name: String, path: String?) -> String? {
        for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
