import ATProtoOAuth
import Foundation

/// Upgrades stored JSON documents from older format versions to the current one.
///
/// Every file the store writes carries a top-level integer `version`. On read, a document with
/// the current version is passed through byte for byte; an older one goes through each step
/// `n → n+1` in turn (steps work on the JSON object, so they can rename, split or default
/// members without the old Swift types); a newer one is refused, because guessing at a format
/// from the future could drop fields that hold tokens, and a later save would then lose them.
///
/// Upgrades happen in memory only. The file is rewritten in the current format by the next
/// `save` (under the account lock when refreshing), never as a side effect of reading, so a
/// read can never race a writer in another process.
///
///     let migrations = StoreMigrations(currentVersion: 2, steps: [
///         .init(from: 1) { object in var o = object; o["scope"] = o["scopes"]; return o },
///     ])
public struct StoreMigrations: Sendable {
    /// One upgrade from format `from` to `from + 1`.
    public struct Step: Sendable {
        public let from: Int
        public let upgrade: @Sendable ([String: JSONValue]) throws -> [String: JSONValue]

        public init(from: Int, upgrade: @escaping @Sendable ([String: JSONValue]) throws -> [String: JSONValue]) {
            self.from = from
            self.upgrade = upgrade
        }
    }

    /// The version this build writes and reads natively.
    public let currentVersion: Int
    private let steps: [Int: Step]

    public init(currentVersion: Int, steps: [Step]) {
        self.currentVersion = currentVersion
        self.steps = Dictionary(steps.map { ($0.from, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// Session files (`accounts/<did>.json`). Format 1 is the first released format, so there
    /// are no steps yet; a future format 2 adds `Step(from: 1) { … }` here.
    public static let sessions = StoreMigrations(currentVersion: Session.currentVersion, steps: [])

    /// `config.json`.
    public static let config = StoreMigrations(currentVersion: StoreConfig.currentVersion, steps: [])

    /// The document in `data` in the current format. `display` names the file in errors.
    public func upgrade(_ data: Data, display: String) throws -> Data {
        let object = try Self.object(data, display: display)
        let version = try Self.version(of: object, display: display)
        if version == currentVersion { return data }
        if version > currentVersion {
            throw AccountStoreError(
                .newerVersion, path: display,
                "was written by a newer atproto-oauth (format version \(version); this one reads up to "
                    + "\(currentVersion)); upgrade atproto-oauth to use this account")
        }
        var upgraded = object
        for from in version..<currentVersion {
            guard let step = steps[from] else {
                throw AccountStoreError(
                    .unsupportedVersion, path: display,
                    "has format version \(version), which this atproto-oauth cannot upgrade "
                        + "(no migration from version \(from)); log this account in again")
            }
            do {
                upgraded = try step.upgrade(upgraded)
            } catch let error as AccountStoreError {
                throw error
            } catch {
                throw AccountStoreError(
                    .corruptFile, path: display, "upgrading from format version \(from) failed: \(error)")
            }
            upgraded["version"] = .number(Double(from + 1))
        }
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return try encoder.encode(JSONValue.object(upgraded))
        } catch {
            throw AccountStoreError(.corruptFile, path: display, "cannot re-encode the upgraded document: \(error)")
        }
    }

    static func object(_ data: Data, display: String) throws -> [String: JSONValue] {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw AccountStoreError(
                .corruptFile, path: display,
                "is not valid JSON (\(data.isEmpty ? "empty file" : "\(data.count) bytes")); "
                    + "move it away and log this account in again")
        }
        guard let object = value.objectValue else {
            throw AccountStoreError(
                .corruptFile, path: display, "is not a JSON object; move it away and log this account in again")
        }
        return object
    }

    static func version(of object: [String: JSONValue], display: String) throws -> Int {
        guard let number = object["version"]?.numberValue else {
            throw AccountStoreError(
                .corruptFile, path: display, "has no format \"version\"; move it away and log this account in again")
        }
        guard number >= 0, number <= Double(Int32.max), number.rounded() == number else {
            throw AccountStoreError(.corruptFile, path: display, "has an invalid format \"version\" (\(number))")
        }
        return Int(number)
    }
}
