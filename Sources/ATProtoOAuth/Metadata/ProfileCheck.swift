import Foundation

/// One named, rule-numbered check of a document or response against the ATProto OAuth
/// profile. Checks are values (not thrown errors) so discovery can show every result at once
/// and tests can assert exactly which check a broken document fails.
public struct ProfileCheck: Codable, Hashable, Sendable, CustomStringConvertible {
    /// The profile rule, e.g. `"R9"`.
    public let rule: String
    /// A stable name, usually the metadata field, e.g. `"issuer"`.
    public let name: String
    /// Whether the document passed this check.
    public let ok: Bool
    /// What was found, e.g. `"issuer https://x equals the fetched origin"`.
    public let detail: String

    /// Records one check's outcome.
    public init(rule: String, name: String, ok: Bool, detail: String) {
        self.rule = rule
        self.name = name
        self.ok = ok
        self.detail = detail
    }

    /// `ok R9 issuer: …` or `FAIL R9 issuer: …`, one line for the inspector and logs.
    public var description: String { "\(ok ? "ok" : "FAIL") \(rule) \(name): \(detail)" }
}

extension Array where Element == ProfileCheck {
    /// The checks that did not pass, in order.
    public var failures: [ProfileCheck] { filter { !$0.ok } }

    /// Throws `.invalidMetadata` naming the first failing check's rule, name and detail.
    /// `field` names the document (e.g. `"authorization server metadata"`) in the reason.
    public func requireAllPass(field: String) throws {
        guard let first = failures.first else { return }
        throw ATProtoOAuthError(.invalidMetadata, rule: first.rule, field: first.name, "\(field): \(first.detail)")
    }
}

/// Shared helpers for metadata documents: response checks and decoding errors that name the
/// field at fault.
enum MetadataSupport {
    /// Status exactly 200 (a 3xx is reported as a refused redirect, R29) and a JSON media type.
    static func responseChecks(_ response: HTTPResponse, rule: String) -> [ProfileCheck] {
        let status: ProfileCheck
        switch response.status {
        case 200:
            status = ProfileCheck(rule: rule, name: "status", ok: true, detail: "HTTP 200")
        case 300..<400:
            let target = response.header("Location").map { " to \($0)" } ?? ""
            status = ProfileCheck(
                rule: rule, name: "status", ok: false,
                detail: "HTTP \(response.status) redirect\(target); metadata must be served without redirects")
        default:
            status = ProfileCheck(
                rule: rule, name: "status", ok: false, detail: "HTTP \(response.status); expected exactly 200")
        }
        let mediaType = response.mediaType
        let isJSON = mediaType == "application/json" || (mediaType?.hasSuffix("+json") ?? false)
        let contentType = ProfileCheck(
            rule: rule, name: "content_type", ok: isJSON,
            detail: isJSON
                ? "media type \(mediaType ?? "")"
                : "media type \(mediaType ?? "(none)"); expected application/json")
        return [status, contentType]
    }

    /// Decodes `T`, turning `DecodingError` into `ATProtoOAuthError` naming the JSON field.
    static func decode<T: Decodable>(
        _ type: T.Type, from data: Data, code: ATProtoOAuthError.Code, rule: String?, document: String,
        decoder: JSONDecoder = JSONDecoder()
    ) throws -> T {
        do {
            return try decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw describe(error, code: code, rule: rule, document: document)
        } catch let error as ATProtoOAuthError {
            throw error
        } catch {
            throw ATProtoOAuthError(code, rule: rule, field: document, "not valid JSON")
        }
    }

    static func describe(
        _ error: DecodingError, code: ATProtoOAuthError.Code, rule: String?, document: String
    ) -> ATProtoOAuthError {
        func path(_ context: DecodingError.Context, appending key: (any CodingKey)? = nil) -> String? {
            var keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            if let key { keys.append(key.stringValue) }
            let joined = keys.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
            return joined.isEmpty ? nil : joined
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context, appending: key) ?? key.stringValue
            return ATProtoOAuthError(code, rule: rule, field: field, "\(document): required field \(field) is missing")
        case .typeMismatch(let expected, let context):
            guard let field = path(context) else {
                return ATProtoOAuthError(code, rule: rule, field: document, "\(document) is not a JSON object")
            }
            return ATProtoOAuthError(
                code, rule: rule, field: field, "\(document): \(field) has the wrong type (expected \(expected))")
        case .valueNotFound(let expected, let context):
            let field = path(context) ?? document
            return ATProtoOAuthError(
                code, rule: rule, field: field, "\(document): \(field) is null (expected \(expected))")
        case .dataCorrupted(let context):
            guard let field = path(context) else {
                return ATProtoOAuthError(code, rule: rule, field: document, "\(document) is not valid JSON")
            }
            return ATProtoOAuthError(code, rule: rule, field: field, "\(document): \(field) is invalid")
        @unknown default:
            return ATProtoOAuthError(code, rule: rule, field: document, "\(document) could not be decoded")
        }
    }

    /// Whether `string` is an acceptable endpoint URL: https with a host, or http on a loopback
    /// host when development mode allows it (R29). Returns the problem, or `nil` when fine.
    static func endpointProblem(_ string: String, allowHTTPLoopback: Bool) -> String? {
        guard let url = URL(string: string), url.scheme != nil, let host = url.host(percentEncoded: false),
            !host.isEmpty
        else { return "\(string) is not an absolute URL" }
        if url.user != nil || url.password != nil { return "\(string) carries credentials" }
        if url.fragment != nil { return "\(string) has a fragment" }
        return url.transportSecurityProblem(allowHTTPLoopback: allowHTTPLoopback).map { "\(string): \($0)" }
    }
}
