import ATProtoDevServer
import Foundation

/// What the dev network served during one measured operation, from its request log.
struct RequestCount: Sendable {
    let entries: [DevRequestLogEntry]

    var total: Int { entries.count }

    /// Requests per distinct `METHOD origin/path`, in first-seen order.
    var perTarget: [(target: String, count: Int)] {
        var order: [String] = []
        var counts: [String: Int] = [:]
        for entry in entries {
            let key = "\(entry.method) \(entry.origin)\(entry.path)"
            if counts[key] == nil { order.append(key) }
            counts[key, default: 0] += 1
        }
        return order.map { ($0, counts[$0] ?? 0) }
    }

    /// The most requests any one document (GET target) got: 1 when nothing was fetched twice.
    var maxPerDocument: Int {
        perTarget.filter { $0.target.hasPrefix("GET ") }.map(\.count).max() ?? 0
    }

    var documents: Int { perTarget.filter { $0.target.hasPrefix("GET ") }.count }

    /// Requests whose path is `path` (e.g. the token endpoint).
    func count(path: String) -> Int { entries.filter { $0.path == path }.count }

    /// `GET /xrpc/…resolveHandle 200, POST /oauth/par 400→201 …`: path, status and repeats,
    /// without origins (ports change every run).
    var breakdown: String {
        var order: [String] = []
        var statuses: [String: [Int]] = [:]
        for entry in entries {
            let key = "\(entry.method) \(entry.path)"
            if statuses[key] == nil { order.append(key) }
            statuses[key, default: []].append(entry.status)
        }
        return order.map { key in
            let codes = statuses[key] ?? []
            return "\(key) \(codes.map(String.init).joined(separator: "→"))"
        }.joined(separator: ", ")
    }
}

/// Runs `body` with the network's request log cleared and returns what it served meanwhile.
/// Only `body` is timed.
func counting<T: Sendable>(
    _ network: DevNetwork, _ body: () async throws -> T
) async throws -> (value: T, elapsed: Duration, requests: RequestCount) {
    await network.clearRequestLog()
    let start = ContinuousClock.now
    let value = try await body()
    let elapsed = ContinuousClock.now - start
    return (value, elapsed, RequestCount(entries: await network.requestLog()))
}
