import ATProtoAccountStore
import ATProtoOAuth
import ATProtoOAuthClient
import ArgumentParser
import Foundation

/// `atproto-oauth api`: one XRPC call (or every page of one) with the account's session, like
/// `gh api`. The call is built and sent by the library (`XRPCCall`, `OAuthClient.call` and
/// `paginate`); this command parses, prints and maps the outcome to an exit code.
struct APICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract: "Call an XRPC method on the account's PDS with DPoP (alias: request).",
        discussion: """
            GET unless -X POST or --input. Fields: -f key=value is a string, -F key=value is typed \
            (true, false, null, integers, @file for a file's text). A GET sends them as query \
            parameters (a repeated key gives repeated parameters); a POST sends them as the members \
            of a JSON object body (a repeated key gives an array), or as query parameters when \
            --input is the body. Every request carries Authorization: DPoP and a proof with ath; \
            the PDS nonce is retried once and invalid_token triggers one refresh and retry (R25).

            A non-2xx answer exits 7 with the XRPC error and message on stderr; when the server \
            says a scope is missing, the hint names the scope to log in with.

            Examples:
              atproto-oauth api com.atproto.server.getSession
              atproto-oauth api alice.bsky.social app.bsky.actor.getProfile -f actor=alice.bsky.social
              atproto-oauth api com.atproto.repo.createRecord --input record.json
              atproto-oauth api com.atproto.repo.deleteRecord -X POST -f repo=alice.bsky.social \\
                  -f collection=app.bsky.feed.post -f rkey=3kabc
              atproto-oauth api com.atproto.repo.uploadBlob --input photo.png --content-type image/png
              atproto-oauth api app.bsky.feed.getAuthorFeed -f actor=alice.bsky.social --paginate \\
                  --proxy did:web:api.bsky.app#bsky_appview

            \(ExitCodes.helpText)
            """,
        aliases: ["request"])

    @Argument(
        help:
            "[<account>] <nsid>: the account is optional (default: --account, $ATPROTO_OAUTH_ACCOUNT, else the default account)."
    )
    var arguments: [String]

    @Option(name: [.customShort("X"), .customLong("method")], help: "HTTP method: GET or POST.")
    var method: String?

    @Option(
        name: [.customShort("f"), .customLong("raw-field")], parsing: .singleValue,
        help: ArgumentHelp("A string field key=value (repeatable).", valueName: "key=value"))
    var rawFields: [String] = []

    @Option(
        name: [.customShort("F"), .customLong("field")], parsing: .singleValue,
        help: ArgumentHelp(
            "A typed field key=value: true, false, null, an integer, @file (its text), else a string (repeatable).",
            valueName: "key=value"))
    var typedFields: [String] = []

    @Option(
        name: [.customShort("H"), .customLong("header")], parsing: .singleValue,
        help: ArgumentHelp("An extra request header 'Name: value' (repeatable).", valueName: "header"))
    var headers: [String] = []

    @Option(help: ArgumentHelp("Send the bytes of FILE (- for stdin) as the body; POST.", valueName: "FILE|-"))
    var input: String?

    @Option(name: .customLong("content-type"), help: "The media type of --input.")
    var contentType = "application/json"

    @Flag(help: "Repeat the GET with each answer's cursor until none; print each page as one JSON line.")
    var paginate = false

    @Option(
        help: ArgumentHelp(
            "Send atproto-proxy: the PDS forwards the call to this service, e.g. did:web:api.bsky.app#bsky_appview.",
            valueName: "DID#SERVICE"))
    var proxy: String?

    @Flag(name: [.customShort("i"), .customLong("include")], help: "Print the status line and response headers first.")
    var include = false

    @Flag(help: "Print the response JSON compactly.") var json = false
    @OptionGroup var accountOption: AccountOption
    @OptionGroup var options: GlobalOptions

    func validate() throws {
        guard (1...2).contains(arguments.count) else {
            throw ValidationError("expected [<account>] <nsid>, got \(arguments.count) arguments")
        }
        for field in rawFields + typedFields where !field.contains("=") || field.hasPrefix("=") {
            throw ValidationError("a field must be key=value, got \(field)")
        }
        for header in headers {
            guard let colon = header.firstIndex(of: ":"),
                !header[..<colon].trimmingCharacters(in: .whitespaces).isEmpty
            else { throw ValidationError("-H must be 'Name: value', got \(header)") }
        }
        if let method, !["GET", "POST"].contains(method.uppercased()) {
            throw ValidationError("-X must be GET or POST (XRPC has queries and procedures), got \(method)")
        }
        if input != nil, method?.uppercased() == "GET" {
            throw ValidationError("--input sends a body: use it with POST, not -X GET")
        }
        if paginate, input != nil || method?.uppercased() == "POST" {
            throw ValidationError("--paginate repeats a query (GET); it cannot be used with POST or --input")
        }
        if let proxy, let problem = XRPCCall.proxyProblem(proxy) { throw ValidationError("--proxy: \(problem)") }
    }

    func run() async throws {
        try await ErrorReporting.run(usingSession: true) {
            let call = try makeCall()
            try await CommandRuntime.with(options) { runtime in
                let session = try await runtime.account(
                    accountOption.query(argument: arguments.count == 2 ? arguments[0] : nil))
                if paginate {
                    for try await page in runtime.client.paginate(session.did, call) {
                        try show(page, call: call, session: session, oneLine: true)
                    }
                } else {
                    try show(try await runtime.client.call(session.did, call), call: call, session: session)
                }
            }
        }
    }

    /// The library's call from the flags; a file that cannot be read is a usage error.
    private func makeCall() throws -> XRPCCall {
        var fields: [(name: String, value: JSONValue)] = rawFields.map { field in
            let (key, value) = Self.split(field)
            return (key, .string(value))
        }
        for field in typedFields {
            let (key, value) = Self.split(field)
            fields.append((key, try Self.typed(value)))
        }
        let extra: [(name: String, value: String)] = headers.compactMap { header in
            guard let colon = header.firstIndex(of: ":") else { return nil }
            return (
                header[..<colon].trimmingCharacters(in: .whitespaces),
                header[header.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            )
        }
        return try XRPCCall(
            arguments[arguments.count - 1], method: method, fields: fields, input: try input.map(Self.readInput),
            contentType: contentType, headers: extra, proxy: proxy)
    }

    /// Prints one answer; a non-2xx one ends the command with exit 7.
    private func show(_ response: HTTPResponse, call: XRPCCall, session: Session, oneLine: Bool = false) throws {
        if include {
            var lines = ["HTTP/1.1 \(response.status) \(Self.reason(response.status))"]
            lines += response.headers.map { "\($0.name): \($0.value)" }
            Terminal.output(lines.joined(separator: "\n") + "\n")
        }
        let ok = (200..<300).contains(response.status)
        if ok || include { Self.printBody(response.body, compact: json || oneLine) }
        guard ok else {
            let error = XRPCErrorBody.parse(response)
            Terminal.info(
                "error: \(call.nsid.rawValue) answered HTTP \(response.status)"
                    + (error.map { ": \($0.summary)" } ?? ""))
            if error == nil, !include, !response.body.isEmpty {
                Terminal.info(String(decoding: response.body.prefix(2048), as: UTF8.self))
            }
            if let scope = OAuthScope.missing(in: response) {
                let name = session.handle?.rawValue ?? session.did.rawValue
                Terminal.info(
                    "hint: the session was not granted the scope \(scope); log in again asking for it: "
                        + "atproto-oauth login \(name) --scope '\(session.scope.description) \(scope)'")
            }
            throw ExitCodes.networkError
        }
    }

    private static func printBody(_ body: Data, compact: Bool) {
        guard !body.isEmpty else { return }
        guard let value = try? JSONValue.parse(body, source: "response") else {
            FileHandle.standardOutput.write(body)
            return
        }
        if compact {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            Terminal.output((try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "")
        } else {
            Terminal.output(value.prettyPrinted())
        }
    }

    static func split(_ field: String) -> (String, String) {
        let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
    }

    /// `-F`: `true`, `false`, `null`, an integer, `@file` (the file's text), else the string.
    static func typed(_ value: String) throws -> JSONValue {
        switch value {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "null": return .null
        default: break
        }
        if let integer = Int64(value), abs(integer) < 9_007_199_254_740_992 { return .number(Double(integer)) }
        if value.hasPrefix("@") {
            let path = String(value.dropFirst())
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("-F: cannot read \(path)")
            }
            return .string(String(decoding: data, as: UTF8.self))
        }
        return .string(value)
    }

    /// `--input FILE` or `--input -` (stdin, read to the end).
    static func readInput(_ source: String) throws -> Data {
        if source == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
        guard let data = FileManager.default.contents(atPath: source) else {
            throw ValidationError("--input: cannot read \(source)")
        }
        return data
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 413: "Payload Too Large"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        default: ""
        }
    }
}
