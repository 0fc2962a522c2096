import ATProtoOAuth
import Foundation

/// Everything the commands write: human lines, JSON documents, step lines, time phrases.
enum Terminal {
    /// A line on stderr (progress, URLs, warnings): stdout stays clean for results and JSON.
    static func info(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// A result line on stdout.
    static func output(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// One JSON document on stdout: sorted keys, ISO-8601 dates, no escaped slashes.
    static func printJSON(_ value: some Encodable) throws {
        output(try jsonText(value))
    }

    /// The text ``printJSON(_:)`` prints.
    static func jsonText(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        (ContinuousClock.now - start).wholeMilliseconds
    }

    /// "in 4m 10s", "3h 2m ago": the relative half of every expiry shown.
    static func relative(_ date: Date, now: Date) -> String {
        let seconds = Int(date.timeIntervalSince(now).rounded())
        let phrase = duration(abs(seconds))
        return seconds >= 0 ? "in \(phrase)" : "\(phrase) ago"
    }

    /// "2d 3h", "4m 10s", "12s".
    static func duration(_ seconds: Int) -> String {
        let days = seconds / 86_400
        let hours = seconds % 86_400 / 3600
        let minutes = seconds % 3600 / 60
        let rest = seconds % 60
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(minutes)m" }
        if minutes > 0 { return "\(minutes)m \(rest)s" }
        return "\(rest)s"
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
