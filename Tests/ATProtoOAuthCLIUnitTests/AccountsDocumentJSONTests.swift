import ATProtoOAuth
import Foundation
import Testing

@testable import ATProtoOAuthCLI

/// `accounts --json` is written without JSONEncoder (for speed); its text must stay exactly
/// what JSONEncoder writes for the same document, the contract scripts were given.
@Suite("accounts --json: the direct writer")
struct AccountsDocumentJSONTests {
    /// Strings JSON escapes, or that a hand-written escaper could get wrong.
    static let awkward = [
        "plain", "", "quote \" and backslash \\", "slash / stays", "line\nbreak\r\ttab", "\u{08}\u{0C}",
        "control \u{01}\u{1F} and DEL \u{7F}", "é ü 漢字 🦋", "<html>&amp;",
    ]

    static func report(_ index: Int, dates: inout SystemRandomNumberGenerator) throws -> AccountReport {
        func date() -> Double { Double.random(in: -1_000_000...2_000_000_000, using: &dates) }
        let text = awkward[index % awkward.count]
        let state = SessionHealth.allCases[index % SessionHealth.allCases.count]
        // AccountReport has no memberwise initialiser: decode one (dates as reference seconds).
        let json = """
            {"did":"did:plc:\(index)","pds":"https://pds.example/\(index)","issuer":"https://as.example",
             "clientID":"http://localhost?scope=atproto%20\(index)","scope":"atproto \(index)","isDefault":\(index == 1),
             "state":"\(state.rawValue)","accessTokenExpiresAt":\(date()),"accessTokenExpiresInSeconds":\(index * 977 - 5000),
             "createdAt":\(date()),"sessionAgeSeconds":\(-index),"refreshTokenExpiresAtEstimate":\(date()),
             "dpopKeyThumbprint":"jkt-\(index)"}
            """
        var report = try JSONDecoder().decode(AccountReport.self, from: Data(json.utf8))
        report.handle = index.isMultiple(of: 3) ? nil : "handle-\(index).\(text)"
        report.refreshedAt = index.isMultiple(of: 2) ? nil : Date(timeIntervalSinceReferenceDate: date())
        report.issuer += text
        return report
    }

    @Test("the same bytes as JSONEncoder: no accounts, a fleet of awkward ones, problems or none")
    func sameBytesAsJSONEncoder() throws {
        var dates = SystemRandomNumberGenerator()
        let reports = try (0..<60).map { try Self.report($0, dates: &dates) }
        let problems = Self.awkward.map { StoreProblemReport(file: "accounts/\($0).json", reason: "corrupt: \($0)") }
        let documents = [
            AccountsDocument(accounts: [], problems: []),
            AccountsDocument(accounts: [], problems: problems),
            AccountsDocument(accounts: Array(reports.prefix(1)), problems: []),
            AccountsDocument(accounts: reports, problems: Array(problems.prefix(1))),
            AccountsDocument(accounts: reports, problems: problems),
        ]
        for document in documents {
            let expected = try Terminal.jsonText(document)
            let written = document.prettyJSON()
            #expect(written == expected, "first difference at \(Self.firstDifference(written, expected))")
        }
    }

    private static func firstDifference(_ a: String, _ b: String) -> String {
        let index = zip(a, b).prefix { $0 == $1 }.count
        return
            "character \(index): \(a.dropFirst(index).prefix(60).debugDescription) vs \(b.dropFirst(index).prefix(60).debugDescription)"
    }
}
