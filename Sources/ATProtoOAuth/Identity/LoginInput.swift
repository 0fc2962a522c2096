import Foundation

/// What a person typed at login (R1): a handle, a DID, or a PDS/entryway URL.
///
/// A server URL skips identity resolution and starts discovery at the resource metadata;
/// a handle or DID is resolved first. `typed` is what goes into `login_hint` (R7).
public enum LoginInput: Hashable, Sendable, CustomStringConvertible {
    /// A handle: resolved to a DID, then to its document (R3, R4).
    case handle(Handle)
    /// A DID: its document is fetched directly (R4).
    case did(DID)
    /// A PDS or entryway origin: discovery starts at its resource metadata, and the account
    /// is learnt from the token response (R21).
    case serverURL(URL)

    /// Parses user input: whitespace trimmed; `https://` (or, when `allowHTTPLoopback`,
    /// `http://` to a loopback host) is a server URL that must be a bare origin; `at://` is
    /// accepted before a handle or DID; a leading `@` is stripped from handles.
    public init(_ input: String, allowHTTPLoopback: Bool) throws {
        let trimmed = input.trimmingCharacters(in: .whitespacesAndNewlines)
        func failure(_ reason: String) -> ATProtoOAuthError {
            ATProtoOAuthError(
                .invalidIdentifier, rule: "R1", field: "login",
                "\(IdentifierSyntax.quoted(trimmed)) is not a handle, DID or https server URL: \(reason)")
        }
        if trimmed.isEmpty {
            throw ATProtoOAuthError(
                .invalidIdentifier, rule: "R1", field: "login", "nothing was typed; enter a handle, DID or server URL")
        }
        let lower = trimmed.lowercased()
        if lower.hasPrefix("https://") || lower.hasPrefix("http://") {
            self = .serverURL(try LoginInput.serverOrigin(trimmed, allowHTTPLoopback: allowHTTPLoopback, failure))
            return
        }
        var identifier = Substring(trimmed)
        if lower.hasPrefix("at://") {
            identifier = identifier.dropFirst(5)
            while identifier.hasSuffix("/") { identifier = identifier.dropLast() }
        } else if lower.contains("://") {
            throw failure("only https:// server URLs are accepted")
        }
        if identifier.hasPrefix("did:") {
            do { self = .did(try DID(String(identifier))) } catch let error as ATProtoOAuthError {
                throw failure(error.reason)
            }
            return
        }
        if identifier.hasPrefix("@") { identifier = identifier.dropFirst() }
        do { self = .handle(try Handle(String(identifier))) } catch let error as ATProtoOAuthError {
            throw failure(error.reason)
        }
    }

    /// The identifier or origin the user typed, normalised (handle lower-cased without `@`
    /// or `at://`; DID verbatim; URL reduced to its origin). Used as `login_hint` (R7).
    public var typed: String {
        switch self {
        case .handle(let handle): handle.rawValue
        case .did(let did): did.rawValue
        case .serverURL(let url): url.absoluteString
        }
    }

    /// What the person typed, normalised (``typed``).
    public var description: String { typed }

    private static func serverOrigin(
        _ text: String, allowHTTPLoopback: Bool, _ failure: (String) -> ATProtoOAuthError
    ) throws -> URL {
        guard let url = URL(string: text), url.scheme != nil,
            let host = url.host(percentEncoded: false), !host.isEmpty
        else { throw failure("not a valid URL") }
        if url.user != nil || url.password != nil { throw failure("a server URL must not contain credentials") }
        if url.query != nil { throw failure("a server URL must not have a query") }
        if url.fragment != nil { throw failure("a server URL must not have a fragment") }
        let path = url.path(percentEncoded: true)
        if !(path.isEmpty || path == "/") { throw failure("a server URL must be an origin without a path") }
        if let problem = url.transportSecurityProblem(allowHTTPLoopback: allowHTTPLoopback) { throw failure(problem) }
        guard let origin = url.originString, let originURL = URL(string: origin) else {
            throw failure("not a valid URL")
        }
        return originURL
    }
}
