import FlyingFox
import FlyingSocks
import Foundation

/// A hosted native client-metadata document (R10–R12) served from 127.0.0.1, whose
/// `client_id` is its own URL: what `--client-id <url>` points at in the tests.
struct HostedClientServer {
    let server: HTTPServer
    let task: Task<Void, any Error>
    /// `http://127.0.0.1:<port>/client-metadata.json`.
    let clientID: URL

    static let path = "/client-metadata.json"

    static func start(scope: String = "atproto transition:generic") async throws -> HostedClientServer {
        let server = HTTPServer(address: try sockaddr_in.inet(ip4: "127.0.0.1", port: 0), logger: .disabled)
        await server.appendRoute(HTTPRoute(method: .GET, path: path)) { request in
            // The document names the URL it was fetched from, so client_id equals it (R10).
            let host = request.headers[.host] ?? "127.0.0.1"
            let document: [String: Any] = [
                "client_id": "http://\(host)\(path)",
                "client_name": "atproto-oauth e2e test client",
                "application_type": "native",
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "redirect_uris": ["http://127.0.0.1/callback"],
                "scope": scope,
                "token_endpoint_auth_method": "none",
                "dpop_bound_access_tokens": true,
            ]
            let body = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "application/json"], body: body)
        }
        let task = Task { try await server.run() }
        try await server.waitUntilListening(timeout: 5)
        guard case .ip4(_, let port)? = await server.listeningAddress,
            let url = URL(string: "http://127.0.0.1:\(port)\(path)")
        else {
            task.cancel()
            throw SupportError("the hosted client-metadata server has no IPv4 address")
        }
        return HostedClientServer(server: server, task: task, clientID: url)
    }

    func stop() async {
        await server.stop(timeout: 0)
        task.cancel()
    }
}
