import ATProtoOAuth
import Foundation

/// The documents discovery walks through: the PLC directory's DID documents (R4–R6), each
/// PDS's protected-resource metadata (R8), each authorization server's metadata (R9), and
/// the XRPC handle resolver.
extension DevState {
    /// `GET /<did>` on the PLC directory.
    ///
    /// alice and carol get the plain shape the real PLC directory serves. bob's document
    /// always uses W3C DID Core's other legal shapes (see `didCoreVariantDocument`), so every
    /// end-to-end login of bob (bob.test, or bob's TLS-mode handle) proves the client's
    /// tolerance (R5, R6).
    func plcDocument(_ request: DevRequest) -> DevResponse {
        guard request.method == "GET" else { return .xrpcError(405, "MethodNotAllowed", "PLC directory is GET only") }
        let did = String(request.path.dropFirst()).removingPercentEncoding ?? ""
        guard let account = accounts.first(where: { $0.did == did }) else {
            return .json(404, ["message": .string("DID not registered: \(did)")])
        }
        let pds = topology.origin(pdsPart(of: account))
        if account.name == "bob" { return .json(200, Self.didCoreVariantDocument(account, pds: pds)) }
        return .json(
            200,
            [
                "@context": .array([
                    .string("https://www.w3.org/ns/did/v1"),
                    .string("https://w3id.org/security/multikey/v1"),
                ]),
                "id": .string(account.did),
                "alsoKnownAs": .array([.string("at://\(account.handle)")]),
                "verificationMethod": .array([]),
                "service": .array([
                    .object([
                        "id": .string("#atproto_pds"),
                        "type": .string("AtprotoPersonalDataServer"),
                        "serviceEndpoint": .string(pds),
                    ])
                ]),
            ])
    }

    /// A DID document valid under W3C DID Core but unlike what the PLC directory serves, so
    /// a client that only understands the common shape fails on it:
    /// - `alsoKnownAs` starts with an https URL; the handle is the first `at://` entry (R5);
    /// - unknown top-level members (`controller`, `x-dev-note`) and a verification method of
    ///   an unknown type;
    /// - before the PDS: a labeler whose `serviceEndpoint` is a map, a service whose
    ///   `type` is an array and whose endpoint is an array, and a service with the PDS id
    ///   `#atproto_pds` but another type (to be skipped: the PDS must match id AND type, R6);
    /// - the PDS itself under the full `<did>#atproto_pds` id with `type` as an array.
    static func didCoreVariantDocument(_ account: DevAccount, pds: String) -> [String: JSONValue] {
        [
            "@context": .array([
                .string("https://www.w3.org/ns/did/v1"),
                .string("https://w3id.org/security/multikey/v1"),
                .string("https://w3id.org/security/suites/secp256k1-2019/v1"),
            ]),
            "id": .string(account.did),
            "controller": .string(account.did),
            "x-dev-note": .object(["why": .string("DID Core variant shapes for tolerance tests")]),
            "alsoKnownAs": .array([
                .string("https://\(account.handle)/profile"),
                .string("at://\(account.handle)"),
            ]),
            "verificationMethod": .array([
                .object([
                    "id": .string("\(account.did)#atproto"),
                    "type": .string("DevUnknownVerificationKey2099"),
                    "controller": .string(account.did),
                    "publicKeyBase58": .string("H3C2AVvLMv6gmMNam3uVAjZpfkcJCwDwnZn6z3wXmqPV"),
                ])
            ]),
            "service": .array([
                .object([
                    "id": .string("#atproto_labeler"),
                    "type": .string("AtprotoLabeler"),
                    "serviceEndpoint": .object(["uri": .string("https://labeler.invalid")]),
                ]),
                .object([
                    "id": .string("#linked_domains"),
                    "type": .array([.string("LinkedDomains"), .string("DevExtraService")]),
                    "serviceEndpoint": .array([
                        .string("https://bob.invalid"), .object(["origins": .string("https://bob.invalid")]),
                    ]),
                ]),
                .object([
                    "id": .string("#atproto_pds"),
                    "type": .string("DevNotAPersonalDataServer"),
                    "serviceEndpoint": .string("https://not-the-pds.invalid"),
                ]),
                .object([
                    "id": .string("\(account.did)#atproto_pds"),
                    "type": .array([.string("AtprotoPersonalDataServer")]),
                    "serviceEndpoint": .string(pds),
                ]),
            ]),
        ]
    }

    /// `/.well-known/oauth-protected-resource` (RFC 9728): one authorization server (R8).
    func protectedResourceMetadata(_ part: DevPart) -> DevResponse {
        let origin = topology.origin(part)
        return .json(
            200,
            [
                "resource": .string(origin),
                "authorization_servers": .array([.string(topology.origin(part.authorizationServerOfPDS))]),
                "scopes_supported": .array(Self.scopesSupported.map(JSONValue.string)),
                "bearer_methods_supported": .array([.string("header")]),
                "resource_documentation": .string("https://atproto.com"),
            ])
    }

    static let scopesSupported = [
        "atproto", "transition:generic", "transition:chat.bsky", "transition:email",
    ]

    /// `/.well-known/oauth-authorization-server` (RFC 8414): every R9 item, issuer = origin.
    func authorizationServerMetadata(_ part: DevPart) -> DevResponse {
        let issuer = topology.origin(part)
        func strings(_ values: [String]) -> JSONValue { .array(values.map(JSONValue.string)) }
        return .json(
            200,
            [
                "issuer": .string(issuer),
                "authorization_endpoint": .string(issuer + "/oauth/authorize"),
                "token_endpoint": .string(issuer + "/oauth/token"),
                "pushed_authorization_request_endpoint": .string(issuer + "/oauth/par"),
                "revocation_endpoint": .string(issuer + "/oauth/revoke"),
                "response_types_supported": strings(["code"]),
                "response_modes_supported": strings(["query", "fragment"]),
                "grant_types_supported": strings(["authorization_code", "refresh_token"]),
                "code_challenge_methods_supported": strings(["S256"]),
                "token_endpoint_auth_methods_supported": strings(["none", "private_key_jwt"]),
                "token_endpoint_auth_signing_alg_values_supported": strings(["ES256"]),
                "scopes_supported": strings(Self.scopesSupported),
                "subject_types_supported": strings(["public"]),
                "authorization_response_iss_parameter_supported": .bool(true),
                "require_pushed_authorization_requests": .bool(true),
                "dpop_signing_alg_values_supported": strings(["ES256"]),
                "require_request_uri_registration": .bool(true),
                "client_id_metadata_document_supported": .bool(true),
                "request_parameter_supported": .bool(false),
                "request_uri_parameter_supported": .bool(true),
                // RFC 9728 §4 / R29: the resource servers this issuer serves; clients must find
                // the PDS they came from here.
                "protected_resources": strings(
                    DevPart.allCases.filter { $0.isPDS && $0.authorizationServerOfPDS == part }.map(topology.origin)),
            ])
    }

    /// XRPC `com.atproto.identity.resolveHandle`: any seeded handle, on every PDS.
    func resolveHandle(_ request: DevRequest) -> DevResponse {
        guard let handle = request.queryValue("handle"), !handle.isEmpty else {
            return .xrpcError(400, "InvalidRequest", "Error: Params must have the property \"handle\"")
        }
        guard let account = accounts.first(where: { $0.handle == handle.lowercased() }) else {
            return .xrpcError(400, "HandleNotFound", "Unable to resolve handle")
        }
        return .json(200, ["did": .string(account.did)])
    }
}
