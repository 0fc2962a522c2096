import Foundation

/// Which handler serves which path on which part. Unknown paths get 404 JSON.
extension DevState {
    func route(_ request: DevRequest, at part: DevPart) async -> DevResponse {
        // TLS mode: a handle host is routed by its `Host`, whichever listener the proxy chose.
        if let response = handleHostResponse(request) { return response }
        let path = request.path
        switch part {
        case .plc:
            if path.hasPrefix("/did:") { return plcDocument(request) }
            if path == "/_health" { return .json(200, ["version": .string("dev")]) }
            if path.hasPrefix("/_dev/") { return control(request) }
            return .notFound
        case .entryway, .entrywayPDS, .selfHostedPDS, .secondEntrywayPDS:
            break
        }
        if part.isPDS, let response = repoRoute(request, at: part) { return response }
        if part.isPDS {
            switch path {
            case "/.well-known/oauth-protected-resource":
                return protectedResourceMetadata(part)
            case "/xrpc/com.atproto.identity.resolveHandle":
                return resolveHandle(request)
            case "/xrpc/com.atproto.server.getSession":
                return getSession(request, at: part)
            case "/xrpc/_health":
                return .json(200, ["version": .string("dev")])
            default:
                break
            }
        }
        if part.isAuthorizationServer {
            switch path {
            case "/.well-known/oauth-authorization-server":
                return authorizationServerMetadata(part)
            case "/oauth/par":
                return await pushedAuthorizationRequest(request, at: part)
            case "/oauth/authorize":
                return authorize(request, at: part)
            case "/oauth/authorize/decision":
                return authorizeDecision(request, at: part)
            case "/oauth/token":
                return token(request, at: part)
            case "/oauth/revoke":
                return revoke(request, at: part)
            default:
                break
            }
        }
        return .notFound
    }
}

/// The dev network's control surface, on the PLC directory: what `DevNetwork.moveAccount` and
/// `revokeSessions` do, for tests and demos that drive `atproto-oauth dev-server` as a
/// separate process. Loopback only, like every part; never part of a real network.
///
/// - `POST /_dev/move-account?did=<did>&pds=<origin>`: the DID document names that PDS.
/// - `POST /_dev/revoke-sessions?did=<did>`: every session of the account is revoked.
extension DevState {
    func control(_ request: DevRequest) -> DevResponse {
        guard request.method == "POST" else { return .xrpcError(405, "MethodNotAllowed", "control calls are POST") }
        guard let did = request.queryValue("did"), !did.isEmpty else {
            return .xrpcError(400, "InvalidRequest", "the did parameter is required")
        }
        switch request.path {
        case "/_dev/move-account":
            do {
                try moveAccount(did: did, toPDSOrigin: request.queryValue("pds") ?? "")
                return .json(200, ["did": .string(did), "pds": .string(request.queryValue("pds") ?? "")])
            } catch {
                return .xrpcError(400, "InvalidRequest", error.reason)
            }
        case "/_dev/revoke-sessions":
            return .json(200, ["did": .string(did), "revoked": .number(Double(revokeSessions(did: did)))])
        default:
            return .notFound
        }
    }
}
