import Foundation

/// Lenient DID Core decoding (R4, R6): `id` must be a string and `alsoKnownAs`, when present,
/// an array; everything else that is not well-formed is skipped, never fatal.
extension DIDDocument {
    enum CodingKeys: String, CodingKey {
        case id, alsoKnownAs, service
    }

    /// Decodes leniently: only a non-string `id` or a non-array `alsoKnownAs` is fatal;
    /// malformed services are kept aside so errors can name them.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        // Non-string aliases cannot be handles; the reference client has no use for them either.
        alsoKnownAs = try container.decodeIfPresent([JSONValue].self, forKey: .alsoKnownAs)?
            .compactMap(\.stringValue)

        var services: [Service] = []
        var indices: [Int] = []
        var malformed: [MalformedService] = []
        var nonArray: JSONValue?
        switch try container.decodeIfPresent(JSONValue.self, forKey: .service) {
        case nil, .null?:
            service = nil
        case .array(let entries)?:
            for (index, entry) in entries.enumerated() {
                switch DIDDocument.parseService(entry, index: index) {
                case .success(let parsed):
                    services.append(parsed)
                    indices.append(index)
                case .failure(let problem):
                    malformed.append(problem)
                }
            }
            service = services
        case let other?:
            service = nil
            nonArray = other
        }
        serviceIndices = indices
        malformedServices = malformed
        nonArrayService = nonArray
    }

    /// Writes `id`, the string aliases and every service entry in its original position
    /// (malformed ones as they came), so decoding the output gives this document back.
    /// Members atproto does not use are not written.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encodeIfPresent(alsoKnownAs, forKey: .alsoKnownAs)
        if let nonArrayService {
            try container.encode(nonArrayService, forKey: .service)
        } else if let service {
            var entries: [(index: Int, value: JSONValue)] = malformedServices.map { ($0.index, $0.raw) }
            for (position, entry) in service.enumerated() {
                let index = serviceIndices.indices.contains(position) ? serviceIndices[position] : position
                entries.append((index, entry.json))
            }
            try container.encode(entries.sorted { $0.index < $1.index }.map(\.value), forKey: .service)
        }
    }

    /// One `service` entry per DID Core: an object with a string `id`, a `type` that is a
    /// string or an array of strings, and a `serviceEndpoint` that is a string, a map or an
    /// array. Anything else is described, not thrown.
    private static func parseService(_ entry: JSONValue, index: Int) -> Result<Service, MalformedService> {
        let prefix = "service[\(index)]"
        guard let object = entry.objectValue else {
            return .failure(
                MalformedService(
                    index: index, id: nil, hasPDSType: nil, field: prefix,
                    reason: "is \(kind(of: entry)), not an object", raw: entry))
        }
        let id = object["id"]?.stringValue
        let types: [String]?
        switch object["type"] {
        case .string(let single)?: types = [single]
        case .array(let values)?:
            let strings = values.compactMap(\.stringValue)
            types = strings.count == values.count ? strings : nil
        default: types = nil
        }
        let hasPDSType = types.map { $0.contains(pdsServiceType) }
        func failure(_ member: String, _ reason: String) -> Result<Service, MalformedService> {
            .failure(
                MalformedService(
                    index: index, id: id, hasPDSType: hasPDSType, field: "\(prefix).\(member)", reason: reason,
                    raw: entry))
        }
        guard let id else {
            return failure("id", object["id"].map { "is \(kind(of: $0)), not a string" } ?? "is missing")
        }
        guard let types else {
            return failure(
                "type", object["type"].map { "is \(kind(of: $0)), not a string or an array of strings" } ?? "is missing"
            )
        }
        guard let endpoint = object["serviceEndpoint"] else { return failure("serviceEndpoint", "is missing") }
        switch endpoint {
        case .string, .object, .array: break
        default: return failure("serviceEndpoint", "is \(kind(of: endpoint)), not a string, a map or an array")
        }
        return .success(Service(id: id, types: types, serviceEndpoint: endpoint))
    }

    /// "a number", "an object", … for error messages.
    static func kind(of value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object (map)"
        }
    }

    static func fieldName(of error: DecodingError) -> String {
        let path: [any CodingKey]
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            path = context.codingPath
        case .keyNotFound(let key, let context):
            path = context.codingPath + [key]
        @unknown default:
            path = []
        }
        if path.isEmpty { return "document" }
        return path.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }
            .joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    static func reason(of error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, _): "expected \(type)"
        case .valueNotFound(let type, _): "missing \(type) value"
        case .keyNotFound(let key, _): "required field '\(key.stringValue)' is missing"
        case .dataCorrupted: "not valid JSON"
        @unknown default: "cannot be decoded"
        }
    }
}

extension DIDDocument.MalformedService: Error {}

extension DIDDocument.Service {
    /// The entry as JSON, `type` in its string form when there is one type.
    var json: JSONValue {
        .object([
            "id": .string(id),
            "type": types.count == 1 ? .string(types[0]) : .array(types.map(JSONValue.string)),
            "serviceEndpoint": serviceEndpoint,
        ])
    }
}
