import ATProtoDevServer
import ATProtoDiscovery
import ATProtoHTTP
import ATProtoOAuth
import Foundation

/// Issue 4, "Latency": discovery from a handle against a dev network that adds 100 ms to
/// every response must finish under 4.5 × 100 ms — four sequential round trips at most, the
/// two handle look-ups running in parallel — with exactly one request per document.
///
/// Each run gets a fresh `IdentityCache`, so every run resolves everything; the transport
/// (its connection pool) is shared, as it is within one CLI or TUI process.
enum DiscoveryBench {
    static let latency: Duration = .milliseconds(100)
    static let handle = "alice.test"

    /// How the handle is resolved.
    enum HandlePath: String, CaseIterable {
        /// `com.atproto.identity.resolveHandle` at the entryway PDS (`--handle-resolver`).
        case xrpc
        /// `_atproto.<handle>` TXT through libresolv pinned to the dev DNS, with the HTTPS
        /// well-known look-up started beside it (it cannot reach a `.test` host; DNS wins).
        case dns
    }

    static func run(runs: Int) async throws -> [Figure] {
        try await withDevNetwork(DevNetworkConfiguration(latency: latency)) { network, info, transport in
            var figures: [Figure] = []
            for path in HandlePath.allCases {
                progress("discovery (\(path.rawValue) path): \(runs) runs at \(latency) latency")
                figures += try await measure(path, runs: runs, network: network, info: info, transport: transport)
            }
            return figures
        }
    }

    private static func measure(
        _ path: HandlePath, runs: Int, network: DevNetwork, info: DevNetworkInfo, transport: HTTPClientTransport
    ) async throws -> [Figure] {
        guard let plc = URL(string: info.plc), let resolver = URL(string: info.handleResolver) else {
            throw BenchError("the dev network reported unusable origins: \(info.plc), \(info.handleResolver)")
        }
        let configuration = DiscoveryConfiguration(
            plcDirectory: plc, handleResolver: path == .xrpc ? resolver : nil, allowHTTPLoopback: true)
        let txt = try ResolvTXTResolver(nameserver: info.dns, timeout: .seconds(2))
        let input = try LoginInput(handle, allowHTTPLoopback: true)

        var wall = Samples()
        var requests = Samples()
        var maxPerDocument = 0
        var documents = Set<Int>()
        var steps = ""
        for _ in 0..<runs {
            let discovery = Discovery(
                transport: transport, txtResolver: txt, configuration: configuration, cache: IdentityCache())
            let (result, elapsed, count) = try await counting(network) { try await discovery.discover(input) }
            wall.add(elapsed.milliseconds)
            requests.add(Double(count.total))
            maxPerDocument = max(maxPerDocument, count.maxPerDocument)
            documents.insert(count.documents)
            steps = result.steps.map { "\($0.name) \($0.milliseconds.map(String.init) ?? "-")" }
                .joined(separator: ", ")
        }
        let budget = 4.5 * latency.milliseconds
        let allUnder = wall.max < budget
        let name = "discovery.handle.\(path.rawValue)"
        return [
            Figure(
                name + ".wall", wall, "ms",
                target: "< \(Figure.format(budget)) ms (4.5 × \(Figure.format(latency.milliseconds)) ms latency)",
                pass: wall.median < budget,
                note: "\(allUnder ? "every" : "NOT every") run under budget; last run steps (ms): \(steps)"),
            Figure(
                name + ".requests", requests, "requests/run", target: "1 request per document",
                pass: maxPerDocument == 1,
                note: "documents per run: \(documents.sorted().map(String.init).joined(separator: "/")), "
                    + "most requests for one document: \(maxPerDocument)"),
        ]
    }
}

/// A benchmark could not run (setup failed); the message says what.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
