import Foundation

/// Handle hosts in TLS mode: `https://<handle>/.well-known/atproto-did` (R3).
///
/// Each seeded handle is also a host name of the TLS network, reached through the proxy like
/// any part (the proxy hands handle hosts to the entryway PDS listener, as a hosting service
/// answers for its users' handles). The answer is the DID as `application/octet-stream`, the
/// media type real hosts send and R3 says a client must not check. bob's handle has no
/// DNS TXT record in TLS mode, so this is the only way to resolve it (see `DevNetwork.start`).
extension DevState {
    /// The answer for a request addressed to a handle host, or `nil` when the request's
    /// `Host` is not one (it then goes to the part's own routes).
    func handleHostResponse(_ request: DevRequest) -> DevResponse? {
        guard let account = handleHostAccount(request) else { return nil }
        guard request.path == "/.well-known/atproto-did" else { return .notFound }
        guard request.method == "GET" || request.method == "HEAD" else {
            return .xrpcError(405, "MethodNotAllowed", "the handle well-known is GET only")
        }
        return DevResponse(
            status: 200, headers: [("Content-Type", "application/octet-stream")], body: Data(account.did.utf8))
    }

    /// The seeded account whose handle the request's `Host` names, in TLS mode only.
    func handleHostAccount(_ request: DevRequest) -> DevAccount? {
        guard configuration.tls, let host = request.header("host").map(Self.hostName) else { return nil }
        return accounts.first { $0.handle == host }
    }

    /// The origin a request log entry names: the handle host's for handle well-knowns,
    /// otherwise the part's.
    func logOrigin(_ request: DevRequest, at part: DevPart) -> String {
        handleHostAccount(request).map { "https://\($0.handle)" } ?? topology.origin(part)
    }

    /// `Host` without a port (`:443` is what clients may add), lower-cased.
    private static func hostName(_ header: String) -> String {
        var host = header.trimmingCharacters(in: .whitespaces).lowercased()
        if let colon = host.lastIndex(of: ":"), !host.hasSuffix("]") {
            host = String(host[..<colon])
        }
        return host
    }
}
