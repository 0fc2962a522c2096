import ATProtoOAuth
import Foundation

/// A request as the dev network's route handlers see it: plain values, independent of
/// FlyingFox, so the protocol logic reads like the specs.
struct DevRequest: Sendable {
    var method: String
    /// The percent-encoded path, without the query.
    var path: String
    /// Query items, form-decoded (`+` is space).
    var query: [(String, String)]
    /// Header names lower-cased.
    var headers: [String: String]
    var body: Data

    func header(_ name: String) -> String? { headers[name.lowercased()] }

    func queryValue(_ name: String) -> String? { query.first { $0.0 == name }?.1 }

    /// The form body as items; `nil` when the content type is not a form.
    var form: [(String, String)]? {
        guard
            let type = header("content-type")?.split(separator: ";").first?
                .trimmingCharacters(in: .whitespaces).lowercased(),
            type == "application/x-www-form-urlencoded"
        else { return nil }
        return FormEncoding.decode(String(decoding: body, as: UTF8.self))
    }
}

extension [(String, String)] {
    /// The single value of a form parameter; `nil` if absent. Duplicates are refused by
    /// `DevForm.single`.
    func value(_ name: String) -> String? { first { $0.0 == name }?.1 }

    func count(of name: String) -> Int { filter { $0.0 == name }.count }
}

/// A response from a route handler.
struct DevResponse: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: Data

    init(status: Int, headers: [(String, String)] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    static func json(_ status: Int, _ object: [String: JSONValue], headers: [(String, String)] = []) -> DevResponse {
        let body = (try? JSONEncoder.dev.encode(JSONValue.object(object))) ?? Data("{}".utf8)
        return DevResponse(
            status: status, headers: [("Content-Type", "application/json")] + headers, body: body)
    }

    static func json<Value: Encodable>(_ status: Int, encoding value: Value) -> DevResponse {
        let body = (try? JSONEncoder.dev.encode(value)) ?? Data("{}".utf8)
        return DevResponse(status: status, headers: [("Content-Type", "application/json")], body: body)
    }

    /// An OAuth error object (RFC 6749 §5.2): `{"error", "error_description"}`, no-store.
    static func oauthError(_ status: Int, _ error: String, _ description: String) -> DevResponse {
        json(
            status, ["error": .string(error), "error_description": .string(description)],
            headers: [("Cache-Control", "no-store")])
    }

    /// An XRPC error object: `{"error", "message"}`.
    static func xrpcError(_ status: Int, _ error: String, _ message: String) -> DevResponse {
        json(status, ["error": .string(error), "message": .string(message)])
    }

    /// A resource-server DPoP challenge (RFC 9449 §7.1): 401 with `WWW-Authenticate`.
    static func dpopChallenge(_ error: String, _ description: String) -> DevResponse {
        var response = json(401, ["error": .string(error), "message": .string(description)])
        let escaped = description.replacingOccurrences(of: "\"", with: "'")
        response.headers.append(
            ("WWW-Authenticate", "DPoP algs=\"ES256\", error=\"\(error)\", error_description=\"\(escaped)\""))
        return response
    }

    static func html(_ status: Int, _ page: String) -> DevResponse {
        DevResponse(
            status: status,
            headers: [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")],
            body: Data(page.utf8))
    }

    static func redirect(to location: String) -> DevResponse {
        DevResponse(status: 302, headers: [("Location", location), ("Cache-Control", "no-store")])
    }

    static let notFound = xrpcError(404, "NotFound", "no such route")

    func adding(_ name: String, _ value: String) -> DevResponse {
        var copy = self
        copy.headers.append((name, value))
        return copy
    }
}

extension JSONEncoder {
    /// Sorted keys and unescaped slashes: stable bytes, URLs that read like URLs.
    static var dev: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
