import ATProtoOAuth
import Foundation

/// Callbacks a person pastes, for a login whose browser cannot reach this machine's loopback
/// listener (the browser runs on another machine, over SSH): the address the browser ended
/// on — `http://127.0.0.1:53172/callback?state=…&iss=…&code=…`, which that machine cannot
/// load — or only its query.
///
/// A loopback login (``LoginFlow/run(_:pasted:save:progress:)``) races these lines against
/// the listener: each line is judged exactly as a request to `/callback` (R18), and the
/// first callback accepted or refused, from either source, ends the wait; the other source
/// is then stopped. A line without this login's `state` is ignored — `ignored` hears why —
/// and the wait goes on, so the person can paste again. A line with the right `state` but a
/// wrong `iss` ends the login (RFC 9207: reject, never retry).
///
/// ```swift
/// let (lines, feed) = AsyncStream.makeStream(of: String.self)
/// Thread.detachNewThread { while let line = readLine() { feed.yield(line) }; feed.finish() }
/// let pasted = PastedCallbacks(lines: lines) { reason in print("not this login's callback: \(reason)") }
/// ```
public struct PastedCallbacks: Sendable {
    /// The pasted lines, one callback address (or query) each; blank lines are skipped.
    public var lines: AsyncStream<String>
    /// Hears why a pasted line was not this login's callback; the wait goes on. The reason
    /// never quotes the line (it may hold an authorization code).
    public var ignored: @Sendable (String) -> Void

    public init(lines: AsyncStream<String>, ignored: @escaping @Sendable (String) -> Void = { _ in }) {
        self.lines = lines
        self.ignored = ignored
    }
}

/// Reading a pasted callback address.
enum PastedCallback {
    /// Why a pasted line holds no callback query.
    struct Problem: Error, Equatable {
        let reason: String
    }

    /// The query items of a pasted callback: a full address (its path must be the listener's
    /// `callbackPath`), an address without its scheme, or only the query (with or without `?`).
    /// A fragment is dropped. Messages never quote the text.
    static func query(_ text: String, callbackPath: String) -> Result<[(String, String)], Problem> {
        var line = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if let hash = line.firstIndex(of: "#") { line = String(line[..<hash]) }
        guard !line.isEmpty else { return .failure(Problem(reason: "nothing was pasted")) }
        let query: Substring
        if let mark = line.firstIndex(of: "?") {
            let address = line[..<mark]
            if !address.isEmpty {
                guard let path = Self.path(of: String(address)), path == callbackPath else {
                    return .failure(
                        Problem(
                            reason:
                                "that is not the address of this login's callback (\(callbackPath)); "
                                + "paste the whole address the browser ended on"))
                }
            }
            query = line[line.index(after: mark)...]
        } else if line.contains("=") && !line.contains("/") {
            query = line[...]
        } else {
            return .failure(
                Problem(
                    reason:
                        "that holds no callback query (state=…&iss=…&code=…); "
                        + "paste the whole address the browser ended on"))
        }
        let items = FormEncoding.decode(String(query))
        guard !items.isEmpty else {
            return .failure(Problem(reason: "the pasted address has an empty query"))
        }
        return .success(items)
    }

    /// The path of `http://host:port/path`, `host:port/path` or `/path`.
    private static func path(of address: String) -> String? {
        if address.hasPrefix("/") { return address }
        let withScheme = address.contains("://") ? address : "http://" + address
        guard let url = URL(string: withScheme), url.host(percentEncoded: false)?.isEmpty == false else {
            return nil
        }
        let path = url.path(percentEncoded: true)
        return path.isEmpty ? "/" : path
    }
}
