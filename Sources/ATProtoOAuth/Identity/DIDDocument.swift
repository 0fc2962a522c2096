import Foundation

/// The parts of a DID document atproto uses: the `id`, the claimed handle in
/// `alsoKnownAs` (R5) and the PDS `service` entry (R6).
///
/// Decoding follows W3C DID Core as tolerantly as the TypeScript reference client: unknown
/// members (verification methods of any type, `@context`, `controller`, …) are ignored, a
/// service `type` may be a string or an array of strings, a `serviceEndpoint` a string, a map
/// or an array, and a malformed service is dropped rather than failing the document — a
/// labeler or feed generator with an odd entry must not lock its owner out. Only the PDS
/// service has to be well-formed, and `pdsEndpoint(allowHTTPLoopback:)` names what is wrong
/// with it (R6).
public struct DIDDocument: Codable, Hashable, Sendable {
    /// One well-formed `service` entry, such as the account's `#atproto_pds`.
    public struct Service: Codable, Hashable, Sendable {
        /// The service id, absolute or relative to the document (`#atproto_pds`).
        public let id: String
        /// The service types; DID Core allows one string or a set of strings, decoded here
        /// to an array either way (one element for the string form).
        public let types: [String]
        /// Kept as JSON: the DID core spec allows a string, a map or a set here.
        public let serviceEndpoint: JSONValue

        /// Builds an entry with any number of types (tests, the dev network's documents).
        public init(id: String, types: [String], serviceEndpoint: JSONValue) {
            self.id = id
            self.types = types
            self.serviceEndpoint = serviceEndpoint
        }

        /// The single-type form, the one atproto services use.
        public init(id: String, type: String, serviceEndpoint: JSONValue) {
            self.init(id: id, types: [type], serviceEndpoint: serviceEndpoint)
        }

        /// Whether `type` is (one of) this service's types.
        public func hasType(_ type: String) -> Bool { types.contains(type) }

        enum CodingKeys: String, CodingKey {
            case id, type, serviceEndpoint
        }

        /// Decodes one entry; `type` may be a string or an array of strings.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id)
            if let single = try? container.decode(String.self, forKey: .type) {
                types = [single]
            } else {
                types = try container.decode([String].self, forKey: .type)
            }
            serviceEndpoint = try container.decode(JSONValue.self, forKey: .serviceEndpoint)
        }

        /// Writes the string form for one type, so a re-encoded document reads like the original.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            if types.count == 1, let only = types.first {
                try container.encode(only, forKey: .type)
            } else {
                try container.encode(types, forKey: .type)
            }
            try container.encode(serviceEndpoint, forKey: .serviceEndpoint)
        }
    }

    /// A `service` entry that could not be decoded, kept (by position, with its JSON) so that
    /// a broken PDS entry is reported precisely instead of as "no PDS service" (R6), and so
    /// that re-encoding the document loses nothing.
    struct MalformedService: Hashable, Sendable {
        /// Position in the document's `service` array.
        let index: Int
        /// The entry's `id` when it is a string.
        let id: String?
        /// Whether the entry's readable `type` includes the PDS type; `nil` when the type is
        /// missing or of the wrong kind.
        let hasPDSType: Bool?
        /// The member at fault, e.g. `service[2].type`.
        let field: String
        let reason: String
        let raw: JSONValue
    }

    /// The DID this document describes; must equal the DID resolved (R4).
    public let id: String
    /// The string entries of `alsoKnownAs`, in order; entries of other JSON types are ignored.
    public let alsoKnownAs: [String]?
    /// The well-formed services, in document order (malformed ones are left out).
    public let service: [Service]?
    /// For each entry of `service`, its position in the document's `service` array, so errors
    /// name the member a person will find in the raw document.
    let serviceIndices: [Int]
    let malformedServices: [MalformedService]
    /// The `service` member when it is present but not an array.
    let nonArrayService: JSONValue?

    /// Builds a well-formed document (the dev network serves these).
    public init(id: String, alsoKnownAs: [String]?, service: [Service]?) {
        self.id = id
        self.alsoKnownAs = alsoKnownAs
        self.service = service
        self.serviceIndices = Array((service ?? []).indices)
        self.malformedServices = []
        self.nonArrayService = nil
    }

    /// The service id fragment that marks the PDS (R6).
    public static let pdsServiceFragment = "#atproto_pds"
    /// The service type that marks the PDS (R6).
    public static let pdsServiceType = "AtprotoPersonalDataServer"

    /// `id` parsed as a DID; `nil` when it is not DID syntax.
    public var did: DID? { try? DID(id) }

    /// Decodes a document fetched for `expectedDID`; its `id` must be that DID (R4, R5), so
    /// a PLC directory or web host cannot hand us someone else's identity.
    public static func decode(_ data: Data, expectedDID: DID) throws -> DIDDocument {
        let document: DIDDocument
        do {
            document = try JSONDecoder().decode(DIDDocument.self, from: data)
        } catch let error as DecodingError {
            throw ATProtoOAuthError(
                .invalidDIDDocument, rule: "R4", field: DIDDocument.fieldName(of: error),
                "the DID document for \(expectedDID.rawValue) is malformed: \(DIDDocument.reason(of: error))")
        } catch {
            throw ATProtoOAuthError(
                .invalidDIDDocument, rule: "R4", field: "document",
                "the DID document for \(expectedDID.rawValue) is not valid JSON")
        }
        guard document.id == expectedDID.rawValue else {
            throw ATProtoOAuthError(
                .invalidDIDDocument, rule: "R4", field: "id",
                "the DID document is for \(IdentifierSyntax.quoted(document.id)), not \(expectedDID.rawValue)")
        }
        return document
    }

    /// The handle the document claims: the first `at://` entry of `alsoKnownAs`, parsed
    /// (R5); entries with other schemes (an https profile URL, say) are skipped. `nil` when
    /// there is none or it is not a valid handle.
    public var handle: Handle? {
        guard let entry = alsoKnownAs?.first(where: { $0.lowercased().hasPrefix("at://") }) else { return nil }
        return try? Handle(String(entry.dropFirst(5)))
    }

    /// The bidirectional check (R5): the document's claimed handle equals `handle`.
    public func verifies(_ handle: Handle) -> Bool { self.handle == handle }

    /// Whether a service `id` names the PDS: `#atproto_pds` or `<did>#atproto_pds` (R6).
    func isPDSServiceID(_ serviceID: String) -> Bool {
        serviceID == DIDDocument.pdsServiceFragment || serviceID == id + DIDDocument.pdsServiceFragment
    }

    /// The PDS origin (R6): the first service whose id is `#atproto_pds` or
    /// `<did>#atproto_pds` AND whose type is `AtprotoPersonalDataServer` (a service with the
    /// PDS id but another type is skipped, as the reference client does), whose endpoint is
    /// an https origin (http only for a loopback host when `allowHTTPLoopback`).
    public func pdsEndpoint(allowHTTPLoopback: Bool) throws -> URL {
        let services = service ?? []
        let match = services.indices.first { position in
            isPDSServiceID(services[position].id) && services[position].hasType(DIDDocument.pdsServiceType)
        }
        guard let match else { throw noPDSError(services) }
        let entry = services[match]
        let index = serviceIndices.indices.contains(match) ? serviceIndices[match] : match
        let field = "service[\(index)].serviceEndpoint"
        guard let text = entry.serviceEndpoint.stringValue else {
            throw ATProtoOAuthError(
                .invalidDIDDocument, rule: "R6", field: field,
                "the PDS endpoint is \(DIDDocument.kind(of: entry.serviceEndpoint)), not a string URL")
        }
        guard let url = URL(string: text), url.scheme != nil else {
            throw ATProtoOAuthError(
                .invalidDIDDocument, rule: "R6", field: field,
                "the PDS endpoint \(IdentifierSyntax.quoted(text)) is not a URL")
        }
        if let problem = url.transportSecurityProblem(allowHTTPLoopback: allowHTTPLoopback) {
            throw ATProtoOAuthError(
                .invalidDIDDocument, rule: "R6", field: field,
                "the PDS endpoint \(IdentifierSyntax.quoted(text)) must use https: \(problem)")
        }
        guard url.isBareOrigin, let origin = url.originString, let originURL = URL(string: origin) else {
            throw ATProtoOAuthError(
                .invalidDIDDocument, rule: "R6", field: field,
                "the PDS endpoint \(IdentifierSyntax.quoted(text)) must be an origin "
                    + "(no credentials, path, query or fragment)")
        }
        return originURL
    }

    /// Why no PDS was found, as precisely as the document allows: a malformed entry with the
    /// PDS id, then a PDS-id entry of another type, then no PDS entry at all (R6).
    private func noPDSError(_ services: [Service]) -> ATProtoOAuthError {
        if let member = nonArrayService {
            return ATProtoOAuthError(
                .invalidDIDDocument, rule: "R6", field: "service",
                "the DID document of \(id) has a 'service' member that is \(DIDDocument.kind(of: member)), "
                    + "not an array, so it names no PDS")
        }
        if let broken = malformedServices.first(where: { entry in
            entry.id.map(isPDSServiceID) == true && entry.hasPDSType != false
        }) {
            return ATProtoOAuthError(
                .invalidDIDDocument, rule: "R6", field: broken.field,
                "the '#atproto_pds' service is malformed: \(broken.field) \(broken.reason)")
        }
        if let position = services.indices.first(where: { isPDSServiceID(services[$0].id) }) {
            let index = serviceIndices.indices.contains(position) ? serviceIndices[position] : position
            let types = services[position].types.map(IdentifierSyntax.quoted).joined(separator: ", ")
            return ATProtoOAuthError(
                .invalidDIDDocument, rule: "R6", field: "service[\(index)].type",
                "the '#atproto_pds' service has type \(types.isEmpty ? "[]" : types), "
                    + "expected '\(DIDDocument.pdsServiceType)'; no service has both")
        }
        return ATProtoOAuthError(
            .invalidDIDDocument, rule: "R6", field: "service",
            "the DID document of \(id) has no '#atproto_pds' service of type "
                + "'\(DIDDocument.pdsServiceType)', so it names no PDS")
    }
}
