/// Percent-decoding over bytes, shared by the form codec, the scope parser and the account
/// store's summary cache. What differs between them stays with the caller: whether `+` means a
/// space (forms only), and whether a malformed escape is an error (scopes) or kept literally.
package enum PercentDecoding {
    /// `bytes` with every `%XX` replaced by its byte (and `+` by a space when `plusIsSpace`);
    /// a `%` not followed by two hex digits is kept as it is and clears `wellFormed`.
    package static func decode(
        _ bytes: ArraySlice<UInt8>, plusIsSpace: Bool = false
    ) -> (bytes: [UInt8], wellFormed: Bool) {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var wellFormed = true
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                if index + 2 < bytes.endIndex, let high = hexValue(bytes[index + 1]),
                    let low = hexValue(bytes[index + 2])
                {
                    out.append(high << 4 | low)
                    index += 3
                    continue
                }
                wellFormed = false
            }
            out.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index += 1
        }
        return (out, wellFormed)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
