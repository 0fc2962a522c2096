import Foundation

/// Unpadded base64url (RFC 4648 §5), the encoding of every JOSE and PKCE value.
package enum Base64URL {
    /// Encodes without padding, as JOSE and PKCE require.
    package static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes unpadded base64url; returns `nil` for padding, `+`, `/` or any other
    /// character outside the URL-safe alphabet, so lenient decoders cannot be tricked.
    package static func decode(_ string: String) -> Data? {
        guard
            string.utf8.allSatisfy({ byte in
                (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x5F
            })
        else { return nil }
        guard string.utf8.count % 4 != 1 else { return nil }
        var base64 = string.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
