import Foundation

/// A tiny JSON writer for the bytes we sign and hash.
///
/// Why not `JSONEncoder`: JWS signing inputs and RFC 7638 thumbprints must be byte-exact and
/// reproducible: no whitespace, members sorted, integers written without a fraction (`iat`
/// must be a JSON integer, and Foundation's encoding of a `Double` is not pinned).
package enum CompactJSON {
    /// The largest integer a JSON number carries exactly in a Double (2^53).
    static let maxExactInteger: Double = 9_007_199_254_740_992

    static func serialize(_ value: JSONValue) throws -> String {
        var out = ""
        try write(value, into: &out)
        return out
    }

    static func serialize(_ object: [String: JSONValue]) throws -> String {
        try serialize(.object(object))
    }

    /// An object whose members are given already in the order ``serialize(_:)`` would sort
    /// them into: the same text, without building and sorting a dictionary (DPoP claims,
    /// on every request).
    static func serialize(orderedMembers members: [(String, JSONValue)]) throws -> String {
        var out = "{"
        for (index, (key, value)) in members.enumerated() {
            if index > 0 { out += "," }
            writeString(key, into: &out)
            out += ":"
            try write(value, into: &out)
        }
        return out + "}"
    }

    private static func write(_ value: JSONValue, into out: inout String) throws {
        switch value {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .number(let number): out += try numberText(number)
        case .string(let text): writeString(text, into: &out)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                try write(item, into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            // Sorted by UTF-16 code units, as RFC 7638 §3.3 requires for thumbprints.
            let keys = members.keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
            for (index, key) in keys.enumerated() {
                if index > 0 { out += "," }
                writeString(key, into: &out)
                out += ":"
                if let member = members[key] { try write(member, into: &out) }
            }
            out += "}"
        }
    }

    private static func numberText(_ number: Double) throws -> String {
        guard number.isFinite else {
            throw ATProtoOAuthError(.invalidJSON, field: "number", "JSON cannot carry NaN or infinity")
        }
        if number == number.rounded(), abs(number) <= maxExactInteger {
            return String(Int64(number))
        }
        return "\(number)"
    }

    /// Writes `text` as a JSON string literal, escaped exactly as Foundation's JSONEncoder
    /// escapes it without `\/` (also what `accounts --json` writes directly).
    package static func writeString(_ text: String, into out: inout String) {
        out += "\""
        // Nothing to escape (the usual case: URLs, base64url, methods): copied as it is.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C }) {
            out += text
            out += "\""
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
