import Foundation

/// The error object an XRPC service answers a failed call with: `{"error", "message"}`
/// (both optional in the Lexicon HTTP spec). Only ever shown, never used to decide.
public struct XRPCErrorBody: Sendable, Hashable {
    /// The error name, e.g. `InvalidRequest`, `ScopeMissingError`, `invalid_token`.
    public var error: String?
    /// The human-readable explanation.
    public var message: String?

    /// Builds an error object.
    public init(error: String?, message: String?) {
        self.error = error
        self.message = message
    }

    /// The error object of a non-2xx `response` whose body is a JSON object with a string
    /// `error` or `message`; `nil` otherwise (a 2xx answer, HTML, an empty body).
    public static func parse(_ response: HTTPResponse) -> XRPCErrorBody? {
        guard !(200..<300).contains(response.status),
            let value = try? JSONValue.parse(response.body, source: "response")
        else { return nil }
        let error = value["error"]?.stringValue
        let message = value["message"]?.stringValue ?? value["error_description"]?.stringValue
        guard error != nil || message != nil else { return nil }
        return XRPCErrorBody(error: error, message: message)
    }

    /// `Error: message`, `Error` or `message`: one line to show.
    public var summary: String {
        switch (error, message) {
        case (let error?, let message?): "\(error): \(message)"
        case (let error?, nil): error
        case (nil, let message?): message
        case (nil, nil): "no error details"
        }
    }
}
