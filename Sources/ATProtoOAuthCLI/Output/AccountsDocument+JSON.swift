import ATProtoOAuth
import Foundation

extension AccountsDocument {
    /// The text `Terminal.printJSON(self)` prints — JSONEncoder's pretty-printed, sorted-key
    /// layout, ISO 8601 dates — written directly. For a fleet this is most of `accounts --json`:
    /// JSONEncoder took about 15 ms for 1,000 accounts, a third of the command.
    /// `AccountsDocumentJSONTests` checks that both give the same bytes.
    func prettyJSON() -> String {
        var out = "{\n  \"accounts\" : ["
        out.reserveCapacity(700 * accounts.count + 100)
        for (index, report) in accounts.enumerated() {
            out += index == 0 ? "\n" : ",\n"
            report.writeJSON(into: &out)
        }
        out += accounts.isEmpty ? "\n\n  ],\n  \"problems\" : [" : "\n  ],\n  \"problems\" : ["
        for (index, problem) in problems.enumerated() {
            out += index == 0 ? "\n    {\n" : ",\n    {\n"
            out += "      \"file\" : \(Self.quoted(problem.file)),\n"
            out += "      \"reason\" : \(Self.quoted(problem.reason))\n    }"
        }
        out += problems.isEmpty ? "\n\n  ]\n}" : "\n  ]\n}"
        return out
    }

    /// A JSON string literal, escaped as JSONEncoder escapes it.
    static func quoted(_ text: String) -> String {
        var out = ""
        CompactJSON.writeString(text, into: &out)
        return out
    }
}

extension AccountReport {
    /// One report as an element of the `accounts` array, keys in JSONEncoder's sorted order;
    /// absent optionals are left out, as the synthesised `Encodable` does.
    fileprivate func writeJSON(into out: inout String) {
        func line(_ key: String, _ value: String, last: Bool = false) {
            out += "      \"" + key + "\" : " + value + (last ? "\n" : ",\n")
        }
        let quoted = AccountsDocument.quoted
        out += "    {\n"
        line("accessTokenExpiresAt", quoted(Terminal.timestamp(accessTokenExpiresAt)))
        line("accessTokenExpiresInSeconds", String(accessTokenExpiresInSeconds))
        line("clientID", quoted(clientID))
        line("createdAt", quoted(Terminal.timestamp(createdAt)))
        line("did", quoted(did))
        line("dpopKeyThumbprint", quoted(dpopKeyThumbprint))
        if let handle { line("handle", quoted(handle)) }
        line("isDefault", isDefault ? "true" : "false")
        line("issuer", quoted(issuer))
        line("pds", quoted(pds))
        line("refreshTokenExpiresAtEstimate", quoted(Terminal.timestamp(refreshTokenExpiresAtEstimate)))
        if let refreshedAt { line("refreshedAt", quoted(Terminal.timestamp(refreshedAt))) }
        line("scope", quoted(scope))
        line("sessionAgeSeconds", String(sessionAgeSeconds))
        line("state", quoted(state.rawValue), last: true)
        out += "    }"
    }
}
