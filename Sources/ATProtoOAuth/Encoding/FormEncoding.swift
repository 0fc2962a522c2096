import Foundation

/// `application/x-www-form-urlencoded` bodies and query strings (PAR, token, revocation
/// requests; callback queries; development client ids).
///
/// Encoding is deliberately strict: only RFC 3986 unreserved characters
/// (`A–Z a–z 0–9 - . _ ~`) pass through, everything else (including space, as `%20`) is
/// percent-encoded as UTF-8. That output is accepted by every form parser and is byte-for-byte
/// what `encodeURIComponent` produces for the values we send. Decoding is lenient the way
/// servers are: `+` and `%20` both mean space, and a malformed `%` escape is kept literally.
package enum FormEncoding {
    /// Percent-encodes one component with the strict unreserved set.
    package static func encodeComponent(_ string: String) -> String {
        var out = ""
        out.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            if isUnreserved(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + hexDigit(byte >> 4) + hexDigit(byte & 0x0F)
            }
        }
        return out
    }

    /// `name=value&name=value`, in the given order (order matters for tests that pin bytes).
    package static func encode(_ items: [(String, String)]) -> String {
        items.map { encodeComponent($0.0) + "=" + encodeComponent($0.1) }.joined(separator: "&")
    }

    /// Splits a form body or query (without the leading `?`) into its items, in order.
    /// Empty segments are skipped; a segment without `=` yields an empty value.
    package static func decode(_ string: String) -> [(String, String)] {
        string.split(separator: "&", omittingEmptySubsequences: true).map { segment in
            if let equals = segment.firstIndex(of: "=") {
                return (
                    decodeComponent(segment[segment.startIndex..<equals]),
                    decodeComponent(segment[segment.index(after: equals)...])
                )
            }
            return (decodeComponent(segment), "")
        }
    }

    /// Decodes one component: `+` is space, `%XX` is a byte; invalid escapes stay literal and
    /// invalid UTF-8 is replaced, so hostile input never fails or crashes.
    package static func decodeComponent<S: StringProtocol>(_ component: S) -> String {
        String(decoding: PercentDecoding.decode(Array(component.utf8)[...], plusIsSpace: true).bytes, as: UTF8.self)
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
            || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
    }

    private static func hexDigit(_ nibble: UInt8) -> String {
        String(UnicodeScalar(nibble < 10 ? 0x30 + nibble : 0x41 + nibble - 10))
    }
}
