/// The HTML of the dev authorization server: a consent page with Approve and Deny, and
/// error pages. Plain forms, no scripts, so a test (or a person) can drive it with a
/// single POST.
enum DevConsentPage {
    static func consent(
        clientID: String, clientName: String?, scope: String, requestURI: String, accounts: [DevAccount],
        selected: DevAccount
    ) -> String {
        let options = accounts.map { account in
            let isSelected = account == selected ? " selected" : ""
            return "<option value=\"\(escape(account.did))\"\(isSelected)>\(escape(account.handle)) "
                + "(\(escape(account.did)))</option>"
        }.joined()
        let scopes = scope.split(separator: " ").map { "<li><code>\(escape(String($0)))</code></li>" }.joined()
        return page(
            title: "Authorize \(clientName ?? clientID)",
            body: """
                <h1>Authorize application</h1>
                <p><strong>\(escape(clientName ?? "An application"))</strong> (<code>\(escape(clientID))</code>)
                wants to access your account.</p>
                <form method="post" action="/oauth/authorize/decision">
                <input type="hidden" name="request_uri" value="\(escape(requestURI))">
                <input type="hidden" name="client_id" value="\(escape(clientID))">
                <p><label>Account <select name="account">\(options)</select></label></p>
                <p>Requested permissions:</p><ul>\(scopes)</ul>
                <button type="submit" name="decision" value="approve">Approve</button>
                <button type="submit" name="decision" value="deny">Deny</button>
                </form>
                """)
    }

    static func error(_ message: String) -> String {
        page(title: "Authorization error", body: "<h1>Authorization error</h1><p>\(escape(message))</p>")
    }

    private static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <meta name="viewport" content="width=device-width, initial-scale=1"></head>
        <body><p><em>ATProto dev network</em></p>
        \(body)
        </body></html>
        """
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
