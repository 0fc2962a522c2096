import ATProtoOAuth
import Foundation

/// Text for times, durations and identifiers, kept short for narrow terminals.
enum Format {
    /// Time left on a token: `14:59`, `1h02m`, `2d03h`; negative values get a leading `-`.
    static func countdown(_ seconds: TimeInterval) -> String {
        let sign = seconds < 0 ? "-" : ""
        let total = Int(abs(seconds).rounded(.down))
        let days = total / 86_400
        let hours = (total % 86_400) / 3_600
        let minutes = (total % 3_600) / 60
        let secs = total % 60
        if days > 0 { return "\(sign)\(days)d\(two(hours))h" }
        if hours > 0 { return "\(sign)\(hours)h\(two(minutes))m" }
        return "\(sign)\(minutes):\(two(secs))"
    }

    /// A coarse age: `40s`, `5m`, `3h`, `2d`.
    static func age(_ seconds: TimeInterval) -> String {
        let total = max(Int(seconds.rounded(.down)), 0)
        switch total {
        case ..<60: return "\(total)s"
        case ..<3_600: return "\(total / 60)m"
        case ..<86_400: return "\(total / 3_600)h"
        default: return "\(total / 86_400)d"
        }
    }

    /// `HH:mm:ss` for today, `yyyy-MM-dd HH:mm` otherwise, in the model's zone.
    static func time(_ date: Date, now: Date, zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let today = calendar.dateComponents([.year, .month, .day], from: now)
        let clock = "\(two(parts.hour ?? 0)):\(two(parts.minute ?? 0))"
        if parts.year == today.year, parts.month == today.month, parts.day == today.day {
            return "\(clock):\(two(parts.second ?? 0))"
        }
        return "\(parts.year ?? 0)-\(two(parts.month ?? 0))-\(two(parts.day ?? 0)) \(clock)"
    }

    /// A host without its scheme, e.g. `pds.example.com`.
    static func host(_ origin: String) -> String {
        for scheme in ["https://", "http://"] where origin.hasPrefix(scheme) {
            return String(origin.dropFirst(scheme.count))
        }
        return origin
    }

    /// The spinner frame for a moment: ten frames a second, derived from the clock so `view`
    /// stays a pure function of the model.
    static func spinner(_ now: Date) -> String {
        let frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]
        let index = Int((now.timeIntervalSinceReferenceDate * 10).rounded(.down)) % frames.count
        return frames[max(index, 0)]
    }

    /// The symbol for a step's status (`spinner` for running ones).
    static func icon(_ status: FlowStep.Status, now: Date) -> (String, Style) {
        switch status {
        case .pending: ("·", .dim)
        case .running: (spinner(now), .accent)
        case .ok: ("✓", .ok)
        case .failed: ("✗", [.error, .bold])
        case .skipped: ("–", .dim)
        }
    }

    static func milliseconds(_ value: Int?) -> String {
        value.map { "\($0) ms" } ?? ""
    }

    private static func two(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
