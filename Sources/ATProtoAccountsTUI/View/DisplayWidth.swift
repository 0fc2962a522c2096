import CATProtoNCurses

/// Terminal cell widths, so columns line up with accents, CJK and emoji.
enum DisplayWidth {
    /// Cells taken by one character: 0 for combining marks and controls, 2 for wide ones.
    ///
    /// Asks `wcwidth` (which follows the locale the run loop sets); when the locale cannot say
    /// (the "C" locale of a test run), falls back to a small table so frames stay deterministic.
    static func of(_ character: Character) -> Int {
        guard let scalar = character.unicodeScalars.first else { return 0 }
        let value = scalar.value
        if value < 0x20 || value == 0x7F { return 0 }
        if value < 0x7F { return 1 }
        let measured = cncurses_wcwidth(value)
        if measured >= 0 { return Int(measured) }
        return fallback(value)
    }

    static func of(_ text: String) -> Int {
        text.reduce(0) { $0 + of($1) }
    }

    private static func fallback(_ value: UInt32) -> Int {
        switch value {
        case 0x0300...0x036F, 0x200B...0x200F, 0xFE00...0xFE0F: return 0
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
            0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
            0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
            return 2
        default: return 1
        }
    }

    /// `text` cut to `width` cells, ending in "…" when something was cut.
    static func truncate(_ text: String, to width: Int) -> String {
        guard width > 0 else { return "" }
        if of(text) <= width { return text }
        var result = ""
        var used = 0
        for character in text {
            let cells = of(character)
            if used + cells > width - 1 { break }
            result.append(character)
            used += cells
        }
        return result + "…"
    }

    /// `text` truncated to `width` and padded with spaces to exactly `width` cells.
    static func pad(_ text: String, to width: Int) -> String {
        let cut = truncate(text, to: width)
        return cut + String(repeating: " ", count: max(width - of(cut), 0))
    }

    /// `text` truncated to `width` and right-aligned in exactly `width` cells.
    static func padLeft(_ text: String, to width: Int) -> String {
        let cut = truncate(text, to: width)
        return String(repeating: " ", count: max(width - of(cut), 0)) + cut
    }

    /// Splits `text` into lines of at most `width` cells, breaking anywhere (URLs have no spaces).
    static func wrap(_ text: String, to width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        var line = ""
        var used = 0
        for character in text {
            let cells = of(character)
            if used + cells > width {
                lines.append(line)
                line = ""
                used = 0
            }
            line.append(character)
            used += cells
        }
        if !line.isEmpty || lines.isEmpty { lines.append(line) }
        return lines
    }
}

extension DisplayWidth {
    /// Splits prose into lines of at most `width` cells at spaces (long words are cut).
    static func wordWrap(_ text: String, to width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true).map(String.init) {
            let candidate = line.isEmpty ? word : line + " " + word
            if of(candidate) <= width {
                line = candidate
            } else {
                if !line.isEmpty { lines.append(line) }
                line = of(word) <= width ? word : truncate(word, to: width)
            }
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }
}
