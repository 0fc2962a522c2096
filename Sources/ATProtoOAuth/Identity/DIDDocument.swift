import Foundation

/// The parts of a DID document atproto uses: the `id`, the claimed handle in
/// `alsoKnownAs` (R5) and the PDS `service` entry (R6). Other members are ignored.
public struct DIDDocument: Codable, Hashable, Sendable {
    public struct Service: Codable, Hashable, Sendable {
        public let id: String
        public let type: String
        /// Kept as JSON: the DID core spec allows a string, a map or a set here.
        public let serviceEndpoint: JSONValue

        public init(id: String, type: String, serviceEndpoint: JSONValue) {
            self.id = id
            self.type = type
            self.serviceEndpoint = serviceEndpoint
        }
    }

    public let id: String
    public let alsoKnownAs: [String]?
    public let service: [Service]?

    public init(id: String, alsoKnownAs: [String]?, service: [Service]?) {
        self.id = id
        self.alsoKnownAs = alsoKnownAs
        self.service = service
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
    /// (R5). `nil` when there is none or it is not a valid handle.
    public var handle: Handle? {
        guard let entry = alsoKnownAs?.first(where: { $0.lowercased().hasPrefix("at://") }) else { return nil }
        return try? Handle(String(entry.dropFirst(5)))
    }

    /// The bidirectional check (R5): the document's claimed handle equals `handle`.
    public func verifies(_ handle: Handle) -> Bool { self.handle == handle }

    /// The PDS origin (R6): the first service whose id is `#atproto_pds` or
    /// `<did>#atproto_pds`, of type `AtprotoPersonalDataServer`, whose endpoint is an https
    /// origin (http only for a loopback host when `allowHTTPLoopback`).
    public func pdsEndpoint(allowHTTPLoopback: Bool) throws -> URL {
        let fullID = id + DIDDocument.pdsServiceFragment
        guard
            let (index, entry) = (service ?? []).enumerated().first(where: {
                $0.element.id == DIDDocument.pdsServiceFragment || $0.element.id == fullID
            })
        else {
            throw ATProtoOAuthError(
                .invalidDIDDocument, rule: "R6", field: "service",
                "the DID document of \(id) has no '#atproto_pds' service, so it names no PDS")
        }
        guard entry.type == DIDDocument.pdsServiceType else {
            throw ATProtoOAuthError(
                .invalidDIDDocument, rule: "R6", field: "service[\(index)].type",
                "the '#atproto_pds' service has type \(IdentifierSyntax.quoted(entry.type)), "
                    + "expected '\(DIDDocument.pdsServiceType)'")
        }
        let field = "service[\(index)].serviceEndpoint"
        guard let text = entry.serviceEndpoint.stringValue else {
            throw ATProtoOAuthError(
                .invalidDIDDocument, rule: "R6", field: field, "the PDS endpoint is not a string URL")
        }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased() else {
            throw ATProtoOAuthError(
                .invalidDIDDocument, rule: "R6", field: field,
                "the PDS endpoint \(IdentifierSyntax.quoted(text)) is not a URL")
        }
        let httpAllowed = scheme == "http" && allowHTTPLoopback && url.isLoopback
        guard scheme == "https" || httpAllowed else {
            throw ATProtoOAuthError(
                .invalidDIDDocument, rule: "R6", field: field,
                "the PDS endpoint \(IdentifierSyntax.quoted(text)) must use https")
        }
        guard url.isBareOrigin, let origin = url.originString, let originURL = URL(string: origin) else {
            throw ATProtoOAuthError(
                .invalidDIDDocument, rule: "R6", field: field,
                "the PDS endpoint \(IdentifierSyntax.quoted(text)) must be an origin "
                    + "(no credentials, path, query or fragment)")
        }
        return originURL
    }

    private static func fieldName(of error: DecodingError) -> String {
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

    private static func reason(of error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, _): "expected \(type)"
        case .valueNotFound(let type, _): "missing \(type) value"
        case .keyNotFound(let key, _): "required field '\(key.stringValue)' is missing"
        case .dataCorrupted: "not valid JSON"
        @unknown default: "cannot be decoded"
        }
    }
}
