/// The few parts of a DNS response (RFC 1035 §4) that TXT look-ups need, read with every
/// offset bounds-checked: the bytes come from the network, so a malformed or hostile
/// answer must produce an error, never a crash or an endless loop.
struct DNSMessage: Sendable, Hashable {
    /// RFC 1035 response codes we branch on.
    enum ResponseCode: Int, Sendable {
        case noError = 0, formatError = 1, serverFailure = 2, nameError = 3, notImplemented = 4, refused = 5
    }

    struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static let classIN: UInt16 = 1
    static let typeTXT: UInt16 = 16

    /// The header's QR bit: set in responses.
    let isResponse: Bool
    /// The raw RCODE (0 = NOERROR, 3 = NXDOMAIN, …).
    let responseCode: Int
    /// The TC bit: the answer did not fit.
    let isTruncated: Bool
    /// Each TXT record of class IN in the answer section, its character-strings joined
    /// (RFC 7208 §3.3 style: a long value is split into 255-byte strings by the publisher).
    let txtRecords: [String]

    /// Parses `bytes` as a DNS response message.
    init(parsing bytes: [UInt8]) throws(ParseError) {
        var reader = Reader(bytes: bytes)
        _ = try reader.uint16()  // id
        let flags = try reader.uint16()
        let questionCount = try reader.uint16()
        let answerCount = try reader.uint16()
        _ = try reader.uint16()  // authority count
        _ = try reader.uint16()  // additional count
        isResponse = flags & 0x8000 != 0
        isTruncated = flags & 0x0200 != 0
        responseCode = Int(flags & 0x000F)

        for _ in 0..<questionCount {
            _ = try reader.name()
            try reader.skip(4)  // type, class
        }
        var records: [String] = []
        for _ in 0..<answerCount {
            _ = try reader.name()
            let type = try reader.uint16()
            let rrClass = try reader.uint16()
            try reader.skip(4)  // ttl
            let length = Int(try reader.uint16())
            let data = try reader.bytes(length)
            if type == Self.typeTXT, rrClass == Self.classIN {
                records.append(try Self.joinedCharacterStrings(data))
            }
        }
        txtRecords = records
    }

    /// TXT RDATA is one or more `<length><bytes>` character-strings filling the RDATA exactly.
    static func joinedCharacterStrings(_ data: ArraySlice<UInt8>) throws(ParseError) -> String {
        var bytes: [UInt8] = []
        var index = data.startIndex
        while index < data.endIndex {
            let length = Int(data[index])
            let start = index + 1
            guard start + length <= data.endIndex else {
                throw ParseError("TXT character-string of \(length) bytes overruns its record")
            }
            bytes += data[start..<start + length]
            index = start + length
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A cursor over the message that throws instead of reading past the end.
    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func uint16() throws(ParseError) -> UInt16 {
            guard offset + 2 <= bytes.count else { throw ParseError("message ends inside a 16-bit field at \(offset)") }
            defer { offset += 2 }
            return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
        }

        mutating func skip(_ count: Int) throws(ParseError) {
            guard offset + count <= bytes.count else {
                throw ParseError("message ends at \(bytes.count), need \(offset + count)")
            }
            offset += count
        }

        mutating func bytes(_ count: Int) throws(ParseError) -> ArraySlice<UInt8> {
            guard offset + count <= bytes.count else {
                throw ParseError("record data of \(count) bytes at \(offset) overruns the message")
            }
            defer { offset += count }
            return bytes[offset..<offset + count]
        }

        /// Reads a possibly compressed name (RFC 1035 §4.1.4) and leaves the cursor after it.
        /// Pointers must point backwards; with the 255-byte name limit and a hop cap, no
        /// crafted pointer chain can loop.
        mutating func name() throws(ParseError) -> String {
            var labels: [String] = []
            var position = offset
            var resumeAt: Int?
            var totalLength = 0
            var hops = 0
            while true {
                guard position < bytes.count else { throw ParseError("name runs past the end of the message") }
                let length = Int(bytes[position])
                switch length & 0xC0 {
                case 0x00:
                    if length == 0 {
                        offset = resumeAt ?? position + 1
                        return labels.joined(separator: ".")
                    }
                    guard position + 1 + length <= bytes.count else { throw ParseError("label overruns the message") }
                    totalLength += length + 1
                    guard totalLength <= 255 else { throw ParseError("name longer than 255 bytes") }
                    labels.append(String(decoding: bytes[position + 1..<position + 1 + length], as: UTF8.self))
                    position += 1 + length
                case 0xC0:
                    guard position + 1 < bytes.count else { throw ParseError("compression pointer cut off") }
                    let target = (length & 0x3F) << 8 | Int(bytes[position + 1])
                    guard target < position else { throw ParseError("compression pointer does not point backwards") }
                    hops += 1
                    guard hops <= 64 else { throw ParseError("too many compression pointers") }
                    if resumeAt == nil { resumeAt = position + 2 }
                    position = target
                default:
                    throw ParseError("unsupported label type 0x\(String(length, radix: 16))")
                }
            }
        }
    }
}
