import ATProtoOAuth
import Foundation

extension HTTPResponse {
    /// A JSON response: the shape of almost every answer an OAuth or XRPC server gives, so a
    /// script reads as the body it stands for.
    ///
    /// - Parameter headers: added after `Content-Type: application/json`, e.g. `DPoP-Nonce`.
    public static func json(
        _ body: String, status: Int = 200, headers: [(name: String, value: String)] = []
    ) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: Data(body.utf8))
    }

    /// A JSON response encoding `object` with sorted keys (stable bodies for assertions).
    public static func json(
        _ object: [String: JSONValue], status: Int = 200, headers: [(name: String, value: String)] = []
    ) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(object)) ?? Data("{}".utf8)
        return HTTPResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: body)
    }
}

extension HTTPRequest {
    /// The form fields of an `application/x-www-form-urlencoded` body (PAR, token, revocation
    /// requests), decoded, in order; repeated names kept. Empty without a body.
    public var formFields: [(name: String, value: String)] {
        FormEncoding.decode(String(decoding: body ?? Data(), as: UTF8.self)).map { (name: $0.0, value: $0.1) }
    }

    /// The first value of form field `name` (see ``formFields``).
    public func formField(_ name: String) -> String? {
        formFields.first { $0.name == name }?.value
    }

    /// The query items of the URL, decoded, in order; repeated names kept.
    public var queryItems: [(name: String, value: String)] {
        FormEncoding.decode(url.query(percentEncoded: true) ?? "").map { (name: $0.0, value: $0.1) }
    }

    /// The request's `DPoP` header, checked as a server checks it (R22: `typ`, `alg`, a public
    /// key only, a valid signature) and decoded — `htm`, `htu`, `nonce`, `ath`, `jti` — so a
    /// test asserts on the proof a server would see. Throws when there is none or it is bad.
    public func dpopProof() throws -> DPoPProof.Verified {
        guard let header = header("DPoP") else {
            throw ScriptedTransportError("\(method) \(url.absoluteString) carries no DPoP header")
        }
        return try DPoPProof.verify(header)
    }

    /// The body as UTF-8 text (empty without one), for messages and simple assertions.
    public var bodyText: String {
        String(decoding: body ?? Data(), as: UTF8.self)
    }
}
