/// The string syntax shared by all granular permissions (atproto specs/permission):
/// `resource[:positional][?key=value&key=value…]`, with values percent-encoded.
///
/// This layer only splits and decodes; `OAuthScope` gives the parts their meaning.
struct ScopeSyntax {
    let resource: String
    /// The decoded positional value, when a `:` precedes any `?`.
    let positional: String?
    /// Decoded query parameters in order, repeated keys kept.
    let parameters: [(key: String, value: String)]

    /// Parses one scope token; the reason is what `OAuthScope` reports under R28.
    static func parse(_ token: String) throws(ScopeSyntaxError) -> ScopeSyntax {
        try checkScopeToken(token)
        let bytes = Array(token.utf8)
        let question = bytes.firstIndex(of: 0x3F)
        let colon = bytes.firstIndex(of: 0x3A).flatMap { colon in question.map { colon < $0 ? colon : nil } ?? colon }
        let resourceEnd = colon ?? question ?? bytes.endIndex
        let resource = String(decoding: bytes[..<resourceEnd], as: UTF8.self)
        if resource.isEmpty { throw ScopeSyntaxError("missing resource name before ':' or '?'") }

        var positional: String?
        if let colon {
            let raw = bytes[(colon + 1)..<(question ?? bytes.endIndex)]
            if raw.isEmpty { throw ScopeSyntaxError("empty value after '\(resource):'") }
            positional = try percentDecode(raw)
        }

        var parameters: [(key: String, value: String)] = []
        if let question {
            let query = bytes[(question + 1)...]
            if query.isEmpty { throw ScopeSyntaxError("empty query after '?'") }
            for pair in query.split(separator: 0x26, omittingEmptySubsequences: false) {
                guard let equals = pair.firstIndex(of: 0x3D) else {
                    throw ScopeSyntaxError("query part '\(String(decoding: pair, as: UTF8.self))' is not key=value")
                }
                let key = try percentDecode(pair[pair.startIndex..<equals])
                let value = try percentDecode(pair[(equals + 1)...])
                if key.isEmpty { throw ScopeSyntaxError("query parameter with an empty name") }
                if value.isEmpty { throw ScopeSyntaxError("parameter '\(key)' has an empty value") }
                parameters.append((key, value))
            }
        }
        return ScopeSyntax(resource: resource, positional: positional, parameters: parameters)
    }

    /// RFC 6749 §3.3 `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`: non-empty printable
    /// ASCII without space, `"` or `\`. The only check a granted scope's tokens must pass (R20).
    static func checkScopeToken(_ token: String) throws(ScopeSyntaxError) {
        let bytes = Array(token.utf8)
        if bytes.isEmpty { throw ScopeSyntaxError("empty scope") }
        if let bad = bytes.first(where: { !($0 == 0x21 || (0x23...0x5B).contains($0) || (0x5D...0x7E).contains($0)) }) {
            throw ScopeSyntaxError(
                bad < 0x80
                    ? "character \(String(format: bad)) is not allowed in an OAuth scope"
                    : "non-ASCII characters are not allowed in an OAuth scope (percent-encode them)")
        }
    }

    /// Strict percent-decoding: `%` must be followed by two hex digits and the result must
    /// be UTF-8. `+` stays a plus sign (MIME types such as `application/ld+json` need it).
    static func percentDecode(_ bytes: ArraySlice<UInt8>) throws(ScopeSyntaxError) -> String {
        let decoded = PercentDecoding.decode(bytes)
        guard decoded.wellFormed else { throw ScopeSyntaxError("malformed percent-encoding") }
        guard let string = String(validating: decoded.bytes, as: UTF8.self) else {
            throw ScopeSyntaxError("percent-encoding does not decode to UTF-8 text")
        }
        return string
    }

    /// Percent-encodes a value for printing: letters, digits, `-._~` and the characters the
    /// reference implementation leaves readable (`* : / + , @`) stay as they are.
    static func percentEncode(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            if IdentifierSyntax.isLetterOrDigit(byte) || Array("-._~*:/+,@".utf8).contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out +=
                    "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// Prints `resource[:positional][?k=v&…]` with every value encoded.
    static func format(resource: String, positional: String?, parameters: [(String, String)]) -> String {
        var out = resource
        if let positional { out += ":" + percentEncode(positional) }
        if !parameters.isEmpty {
            out += "?" + parameters.map { percentEncode($0.0) + "=" + percentEncode($0.1) }.joined(separator: "&")
        }
        return out
    }
}

struct ScopeSyntaxError: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

extension String {
    /// `'x'` for a printable ASCII byte, `0xNN` otherwise — for scope error messages.
    fileprivate init(format byte: UInt8) {
        if byte > 0x20 && byte < 0x7F {
            self = "'\(Character(Unicode.Scalar(byte)))'"
        } else {
            self = "0x" + String(byte, radix: 16, uppercase: true)
        }
    }
}
