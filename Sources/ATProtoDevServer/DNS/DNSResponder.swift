/// The pure part of the DNS responder: one query datagram in, one answer datagram out.
///
/// Kept apart from the socket loop so the wire format can be tested without UDP. Only
/// what handle resolution needs (R3): class IN, TXT answers, NXDOMAIN for unknown names,
/// FORMERR for anything that is not a single well-formed, compression-free question.
struct DNSResponder: Sendable {
    /// Lower-cased names without a trailing dot → TXT strings.
    let records: [String: [String]]

    static let typeTXT: UInt16 = 16
    static let typeANY: UInt16 = 255
    static let classIN: UInt16 = 1
    static let rcodeFormErr: UInt8 = 1
    static let rcodeNXDomain: UInt8 = 3
    static let rcodeNotImp: UInt8 = 4

    init(records: [String: [String]]) {
        var normalised: [String: [String]] = [:]
        for (name, values) in records {
            normalised[Self.normalise(name), default: []].append(contentsOf: values)
        }
        self.records = normalised
    }

    static func normalise(_ name: String) -> String {
        var name = name.lowercased()
        while name.hasSuffix(".") { name.removeLast() }
        return name
    }

    /// The answer to `query`, or `nil` when nothing should be sent (too short to carry an
    /// ID, or a response rather than a query).
    func respond(to query: [UInt8]) -> [UInt8]? {
        guard query.count >= 12 else { return nil }
        let flags = UInt16(query[2]) << 8 | UInt16(query[3])
        guard flags & 0x8000 == 0 else { return nil }  // QR set: not a query
        let opcode = UInt8((flags >> 11) & 0x0F)
        let recursionDesired = flags & 0x0100 != 0
        let questionCount = UInt16(query[4]) << 8 | UInt16(query[5])

        func header(rcode: UInt8, questions: UInt16, answers: UInt16) -> [UInt8] {
            var out: [UInt8] = [query[0], query[1]]
            var responseFlags: UInt16 = 0x8000 | UInt16(opcode) << 11 | 0x0400  // QR, opcode, AA
            if recursionDesired { responseFlags |= 0x0100 }
            responseFlags |= UInt16(rcode & 0x0F)
            out.append(contentsOf: [UInt8(responseFlags >> 8), UInt8(responseFlags & 0xFF)])
            out.append(contentsOf: [UInt8(questions >> 8), UInt8(questions & 0xFF)])
            out.append(contentsOf: [UInt8(answers >> 8), UInt8(answers & 0xFF)])
            out.append(contentsOf: [0, 0, 0, 0])
            return out
        }

        guard opcode == 0 else { return header(rcode: Self.rcodeNotImp, questions: 0, answers: 0) }
        guard questionCount == 1, let question = Self.parseQuestion(query, from: 12) else {
            return header(rcode: Self.rcodeFormErr, questions: 0, answers: 0)
        }
        let questionBytes = Array(query[12..<question.end])
        guard question.qclass == Self.classIN || question.qclass == Self.typeANY,
            let values = records[question.name]
        else {
            return header(rcode: Self.rcodeNXDomain, questions: 1, answers: 0) + questionBytes
        }
        guard question.qtype == Self.typeTXT || question.qtype == Self.typeANY else {
            return header(rcode: 0, questions: 1, answers: 0) + questionBytes
        }
        var answers: [UInt8] = []
        for value in values {
            answers.append(contentsOf: Self.txtRecord(value))
        }
        return header(rcode: 0, questions: 1, answers: UInt16(values.count)) + questionBytes + answers
    }

    /// Parses the single question: labels (no compression pointers), QTYPE, QCLASS.
    static func parseQuestion(_ bytes: [UInt8], from start: Int) -> (
        name: String, qtype: UInt16, qclass: UInt16, end: Int
    )? {
        var index = start
        var labels: [String] = []
        var nameLength = 0
        while true {
            guard index < bytes.count else { return nil }
            let length = Int(bytes[index])
            index += 1
            if length == 0 { break }
            guard length < 64, index + length <= bytes.count else { return nil }  // 0xC0: compression
            nameLength += length + 1
            guard nameLength <= 255 else { return nil }
            guard let label = String(bytes: bytes[index..<index + length], encoding: .utf8) else { return nil }
            labels.append(label)
            index += length
        }
        guard index + 4 <= bytes.count else { return nil }
        let qtype = UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
        let qclass = UInt16(bytes[index + 2]) << 8 | UInt16(bytes[index + 3])
        return (normalise(labels.joined(separator: ".")), qtype, qclass, index + 4)
    }

    /// One TXT resource record answering the question name (compression pointer to
    /// offset 12), the value split into character-strings of at most 255 bytes.
    static func txtRecord(_ value: String) -> [UInt8] {
        var rdata: [UInt8] = []
        var remaining = Array(value.utf8)
        repeat {
            let chunk = remaining.prefix(255)
            rdata.append(UInt8(chunk.count))
            rdata.append(contentsOf: chunk)
            remaining.removeFirst(chunk.count)
        } while !remaining.isEmpty
        var out: [UInt8] = [0xC0, 0x0C, 0, UInt8(typeTXT), 0, UInt8(classIN)]
        out.append(contentsOf: [0, 0, 0, 60])  // TTL 60 s
        out.append(contentsOf: [UInt8(rdata.count >> 8), UInt8(rdata.count & 0xFF)])
        return out + rdata
    }
}
