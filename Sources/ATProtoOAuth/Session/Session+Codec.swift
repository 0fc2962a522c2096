import Foundation

extension Session {
    /// The session file's JSON: sorted keys, pretty-printed, ISO 8601 dates (fractional
    /// seconds kept so a round trip is exact to the millisecond).
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Session.iso8601(date))
        }
        do {
            return try encoder.encode(self)
        } catch {
            throw ATProtoOAuthError(.invalidSession, field: "session", "could not encode the session")
        }
    }

    /// Reads a session file. Errors are `.invalidSession` naming the field; a file written
    /// by a newer version is refused with a message saying so; older versions go through
    /// `migrate(_:from:)` first.
    public static func decode(_ data: Data) throws -> Session {
        // Fast path for the common case, a file in the current format: decode the bytes
        // directly instead of through a JSON tree (the account list reads every file at start).
        if let probe = try? JSONDecoder().decode(VersionProbe.self, from: data), probe.version == currentVersion {
            return try MetadataSupport.decode(
                Session.self, from: data, code: .invalidSession, rule: nil, document: "session",
                decoder: fileDecoder())
        }
        let json: JSONValue
        do {
            json = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw ATProtoOAuthError(.invalidSession, field: "session", "the session file is not valid JSON")
        }
        guard json.objectValue != nil else {
            throw ATProtoOAuthError(.invalidSession, field: "session", "the session file is not a JSON object")
        }
        guard let number = json["version"]?.numberValue, number.rounded() == number, abs(number) < 1e9 else {
            throw ATProtoOAuthError(.invalidSession, field: "version", "missing or not an integer")
        }
        let version = Int(number)
        if version > currentVersion {
            throw ATProtoOAuthError(
                .invalidSession, field: "version",
                "the session was written by a newer atproto-oauth (format \(version); this build reads up to "
                    + "\(currentVersion)); upgrade, or log in again")
        }
        let current = try migrate(json, from: version)
        let decoder = fileDecoder()
        let reencoded: Data
        do {
            reencoded = try JSONEncoder().encode(current)
        } catch {
            throw ATProtoOAuthError(.invalidSession, field: "session", "could not read the session")
        }
        return try MetadataSupport.decode(
            Session.self, from: reencoded, code: .invalidSession, rule: nil, document: "session", decoder: decoder)
    }

    /// The migration hook: turns a document of an older format `version` into the current
    /// one. Version 1 is the first format, so anything below it is unknown.
    static func migrate(_ json: JSONValue, from version: Int) throws -> JSONValue {
        switch version {
        case currentVersion:
            return json
        default:
            throw ATProtoOAuthError(
                .invalidSession, field: "version",
                "unknown session format \(version) (this build reads 1…\(currentVersion))")
        }
    }

    /// `2026-12-05T03:26:12.123Z`, the milliseconds rounded, not truncated: parsing gives a
    /// binary double a hair below or above the printed value, and a truncating formatter would
    /// then print one millisecond less — so a session re-encoded after a decode would differ
    /// from its file (a store move compares exactly that).
    static func iso8601(_ date: Date) -> String {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        let seconds = (milliseconds / 1000).rounded(.down)
        let fraction = Int(milliseconds - seconds * 1000)
        let whole = Date(timeIntervalSince1970: seconds).formatted(
            .iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .omitted))
        guard whole.hasSuffix("Z") else { return whole }
        return String(whole.dropLast()) + "." + String(String(fraction + 1000).dropFirst()) + "Z"
    }

    static func parseISO8601(_ string: String) -> Date? {
        if let date = try? Date(string, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true))
        {
            return date
        }
        return try? Date(string, strategy: .iso8601)
    }
}

extension Session {
    private struct VersionProbe: Decodable {
        let version: Int
    }

    /// The decoder for session files: ISO 8601 dates with optional fractional seconds.
    private static func fileDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let string = try container.decode(String.self)
            guard let date = Session.parseISO8601(string) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 date")
            }
            return date
        }
        return decoder
    }
}
