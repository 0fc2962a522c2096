import Testing

@testable import ATProtoHTTP

/// The TXT answer parser on hand-built wire bytes (RFC 1035 §4).
@Suite("DNSMessage")
struct DNSMessageTests {
    /// `<len>label…0` for a dotted name.
    static func name(_ dotted: String) -> [UInt8] {
        dotted.split(separator: ".").flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) } + [0]
    }

    static func header(rcode: UInt8 = 0, questions: UInt16 = 1, answers: UInt16) -> [UInt8] {
        [0x12, 0x34, 0x81, 0x80 | rcode, 0, UInt8(questions), 0, UInt8(answers), 0, 0, 0, 0]
    }

    /// An answer record whose owner is a compression pointer to offset 12 (the question name).
    static func txtAnswer(_ strings: [String], type: UInt16 = 16) -> [UInt8] {
        let rdata = strings.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
        return [0xC0, 12, 0, UInt8(type), 0, 1, 0, 0, 0x0E, 0x10, 0, UInt8(rdata.count)] + rdata
    }

    static let question = name("_atproto.alice.test") + [0, 16, 0, 1]

    @Test("R3: several TXT records, several character-strings each, owners compressed")
    func multipleRecords() throws {
        let bytes =
            Self.header(answers: 3) + Self.question
            + Self.txtAnswer(["did=did:plc:", "abc123"])
            + Self.txtAnswer(["other"], type: 5)  // a CNAME-typed record is skipped
            + Self.txtAnswer(["v=1"])
        let message = try DNSMessage(parsing: bytes)
        #expect(message.isResponse)
        #expect(message.responseCode == 0)
        #expect(message.txtRecords == ["did=did:plc:abc123", "v=1"])
    }

    @Test("An owner name that points at a pointer (a chain) is followed")
    func pointerChain() throws {
        // Answer 1's owner points at the question name; answer 2's owner is "x" + pointer to answer 1's owner.
        let first = Self.txtAnswer(["a"])
        let firstOffset = 12 + Self.question.count
        let second: [UInt8] = [1, UInt8(ascii: "x"), 0xC0, UInt8(firstOffset), 0, 16, 0, 1, 0, 0, 0, 0, 0, 2, 1, 0x62]
        let message = try DNSMessage(parsing: Self.header(answers: 2) + Self.question + first + second)
        #expect(message.txtRecords == ["a", "b"])
        var reader = DNSMessage.Reader(bytes: Self.header(answers: 2) + Self.question + first + second)
        reader.offset = firstOffset + first.count
        #expect(try reader.name() == "x._atproto.alice.test")
    }

    @Test("NXDOMAIN and NODATA headers parse with no records")
    func emptyAnswers() throws {
        let nxdomain = try DNSMessage(parsing: Self.header(rcode: 3, answers: 0) + Self.question)
        #expect(nxdomain.responseCode == 3)
        #expect(nxdomain.txtRecords.isEmpty)
        #expect(try DNSMessage(parsing: Self.header(answers: 0) + Self.question).txtRecords.isEmpty)
    }

    static let malformedCases: [(String, [UInt8])] = {
        let answerStart = header(answers: 1) + question
        return [
            ("short header", Array(header(answers: 0).prefix(7))),
            ("answer count beyond the data", answerStart),
            ("rdlength beyond the message", answerStart + [0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 0, 0, 9, 3]),
            ("character-string overruns its record", answerStart + [0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 0, 0, 2, 5, 0x61]),
            ("forward compression pointer", answerStart + [0xC0, 0xFF]),
            ("self-pointing pointer", answerStart + [0xC0, UInt8(answerStart.count)]),
            ("reserved label type", answerStart + [0x80, 0]),
            ("label past the end", header(questions: 1, answers: 0) + [20, 0x61]),
        ]
    }()

    @Test("Malformed answers are errors, never crashes", arguments: malformedCases)
    func malformed(_ label: String, _ bytes: [UInt8]) {
        #expect(throws: DNSMessage.ParseError.self, "\(label)") { try DNSMessage(parsing: bytes) }
    }

    @Test("A pointer loop through labels ends in an error")
    func pointerLoop() {
        // At 12: label "a", then a pointer back to 12: a → a → a … forever without the limits.
        let bytes = Self.header(answers: 0) + [1, 0x61, 0xC0, 12, 0, 16, 0, 1]
        #expect(throws: DNSMessage.ParseError.self) { try DNSMessage(parsing: bytes) }
    }
}
