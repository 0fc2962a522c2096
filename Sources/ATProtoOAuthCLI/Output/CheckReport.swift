import ATProtoOAuth
import ATProtoOAuthClient
import Foundation

/// What `status --check` found for one account (`OAuthClient.check`). Never holds a secret:
/// `detail` is the server's answer or the reason, as the library words it.
struct CheckReport: Codable, Sendable {
    /// `ok`, `needs-login` or `failed` (the PDS could not be asked).
    var result: String
    var did: String
    var detail: String

    init(did: DID, check: SessionCheck) {
        self.did = did.rawValue
        switch check {
        case .ok(let answer):
            result = "ok"
            let handle = answer["handle"]?.stringValue
            detail = "the PDS accepts the session" + (handle.map { " (getSession: \($0))" } ?? "")
        case .needsLogin(let reason):
            result = "needs-login"
            detail = reason
        case .failed(let error):
            result = "failed"
            detail = ErrorReporting.message(for: error)
        }
    }

    var needsAttention: Bool { result != "ok" }

    /// The line `status --check` prints for the account.
    func line(name: String) -> String {
        "\(needsAttention ? "✗" : "✓") \(name): \(result): \(detail)"
    }
}

/// The `--json` document of `status --check`: `status`'s, with what each PDS said.
struct StatusCheckDocument: Codable {
    var accounts: [AccountReport]
    var problems: [StoreProblemReport]
    var checks: [CheckReport]
}
