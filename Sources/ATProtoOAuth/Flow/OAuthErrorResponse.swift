import Foundation

/// An OAuth error object (RFC 6749 §5.2): `{"error": "...", "error_description": "..."}`.
public struct OAuthErrorResponse: Decodable, Sendable, Hashable, CustomStringConvertible {
    public let error: String
    public let errorDescription: String?

    enum CodingKeys: String, CodingKey {
        case error
        case errorDescription = "error_description"
    }

    public init(error: String, errorDescription: String? = nil) {
        self.error = error
        self.errorDescription = errorDescription
    }

    /// The error object in a response body, whatever the status; `nil` when the body is not
    /// JSON with a string `error`.
    public static func parse(_ response: HTTPResponse) -> Self? {
        guard let object = try? JSONDecoder().decode(JSONValue.self, from: response.body),
            let error = object["error"]?.stringValue, !error.isEmpty
        else { return nil }
        return Self(error: error, errorDescription: object["error_description"]?.stringValue)
    }

    public var description: String { errorDescription.map { "\(error): \($0)" } ?? error }

    /// The `.oauthError` to throw: the field is the OAuth error code, the reason its description.
    public func asError(rule: String?, context: String) -> ATProtoOAuthError {
        ATProtoOAuthError(
            .oauthError, rule: rule, field: error,
            "\(context): the server answered \(error)" + (errorDescription.map { " (\($0))" } ?? ""))
    }
}
