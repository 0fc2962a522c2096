import Foundation
import Testing

/// The permission bits of a file or directory (`stat`), e.g. `0o600`.
func permissions(of url: URL) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
    let number = try #require(attributes[.posixPermissions] as? NSNumber, "no permissions for \(url.path)")
    return number.intValue & 0o777
}

/// Every regular file under `directory` with its bytes, by relative path: a snapshot to
/// prove a failed command changed nothing.
func snapshot(_ directory: URL) -> [String: Data] {
    var files: [String: Data] = [:]
    guard let enumerator = FileManager.default.enumerator(atPath: directory.path) else { return files }
    while let relative = enumerator.nextObject() as? String {
        let url = directory.appendingPathComponent(relative)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            files[relative] = (try? Data(contentsOf: url)) ?? Data()
        }
    }
    return files
}

/// The names of the secrets (from `secrets`) that occur in `text`.
func leakedSecrets(_ secrets: [String: String], in text: String) -> [String] {
    secrets.filter { !$0.value.isEmpty && text.contains($0.value) }.map(\.key).sorted()
}

extension CLIResult {
    /// stdout parsed as a JSON object.
    func object() throws -> [String: Any] {
        try #require(try json() as? [String: Any], "stdout is not a JSON object:\n\(self)")
    }

    /// The trimmed stdout (one value, e.g. a token).
    var line: String { stdout.trimmingCharacters(in: .whitespacesAndNewlines) }
}

/// `{accounts: [...], problems: [...]}` of `accounts --json` / `status --json`.
struct AccountsDocument {
    let accounts: [[String: Any]]
    let problems: [[String: Any]]

    init(_ result: CLIResult) throws {
        let object = try result.object()
        accounts = try #require(object["accounts"] as? [[String: Any]], "no accounts array:\n\(result)")
        problems = try #require(object["problems"] as? [[String: Any]], "no problems array:\n\(result)")
    }

    var dids: [String] { accounts.compactMap { $0["did"] as? String }.sorted() }

    func state(of did: String) -> String? {
        accounts.first { $0["did"] as? String == did }?["state"] as? String
    }
}
