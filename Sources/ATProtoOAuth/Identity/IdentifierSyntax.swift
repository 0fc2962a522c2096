/// Byte-level helpers shared by the identifier parsers.
///
/// The atproto identifier syntaxes are pure ASCII, so the parsers work on UTF-8 bytes: that
/// keeps them total (no grapheme surprises such as "e" + combining accent counting as one
/// character) and makes every rejection explainable byte by byte.
enum IdentifierSyntax {
    static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    static func isLetterOrDigit(_ byte: UInt8) -> Bool { isLetter(byte) || isDigit(byte) }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66)
    }

    static let hyphen: UInt8 = 0x2D
    static let dot: UInt8 = 0x2E

    /// Validates one DNS-style label: 1–63 letters, digits or hyphens, not starting or ending
    /// with a hyphen. Returns the reason it is invalid, or `nil` when it is fine.
    static func labelProblem(_ label: ArraySlice<UInt8>) -> String? {
        guard let first = label.first, let last = label.last else { return "empty segment (two dots in a row?)" }
        if label.count > 63 { return "segment longer than 63 characters" }
        if first == hyphen || last == hyphen { return "segment starts or ends with a hyphen" }
        if !label.allSatisfy({ isLetterOrDigit($0) || $0 == hyphen }) {
            return "segment has characters other than letters, digits and hyphens"
        }
        return nil
    }

    /// A short, safe rendering of untrusted input for error messages: control characters
    /// escaped and long strings elided so a hostile value cannot flood the terminal.
    static func quoted(_ string: String) -> String {
        var out = ""
        for scalar in string.unicodeScalars.prefix(80) {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        if string.unicodeScalars.count > 80 { out += "…" }
        return "'\(out)'"
    }
}
