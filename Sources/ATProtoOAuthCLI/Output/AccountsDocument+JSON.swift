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

    /// A JSON string as JSONEncoder writes it without escaping slashes: `"` and `\` escaped,
    /// control characters as `\b \f \n \r \t` or `\u00XX`, everything else as it is.
    static func quoted(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") })
        else { return "\"" + text + "\"" }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let control where control.value < 0x20:
                let hex = String(control.value, radix: 16, uppercase: false)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
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
