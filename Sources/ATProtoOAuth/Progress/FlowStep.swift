import Foundation

/// One named step of a multi-request flow (discovery, login), as it progresses.
///
/// Discovery and login publish these through an `AsyncStream` so the CLI can print a line
/// per finished step, the TUI can draw a live list, and tests can assert on exact sequences.
public struct FlowStep: Hashable, Sendable, Codable {
    /// Where a step is: waiting, under way, or finished one of three ways.
    public enum Status: String, Hashable, Sendable, Codable {
        /// `pending` until it starts, `running` while its request is out, then `ok`, `failed`, or
        /// `skipped` when an earlier outcome made it unnecessary.
        case pending, running, ok, failed, skipped
        /// Whether the step has reached its final state.
        public var isFinished: Bool { self == .ok || self == .failed || self == .skipped }
    }

    /// A fixed step name, e.g. `resolve-handle` or `par`.
    public var name: String
    /// Where the step is now.
    public var status: Status
    /// Wall time from `running` to the final state, in milliseconds.
    public var milliseconds: Int?
    /// The URL fetched or the record looked up (never with secrets in it).
    public var target: String?
    /// One line for people: what was found, or why it failed.
    public var detail: String
    /// Sub-results shown under the step (e.g. the DNS and HTTPS outcomes of handle resolution).
    public var subresults: [String]
    /// The raw document the step fetched, for the inspector (public metadata only).
    public var document: JSONValue?

    /// A step as first reported; flows update the same value as it progresses.
    public init(
        name: String, status: Status = .pending, milliseconds: Int? = nil, target: String? = nil,
        detail: String = "", subresults: [String] = [], document: JSONValue? = nil
    ) {
        self.name = name
        self.status = status
        self.milliseconds = milliseconds
        self.target = target
        self.detail = detail
        self.subresults = subresults
        self.document = document
    }
}
