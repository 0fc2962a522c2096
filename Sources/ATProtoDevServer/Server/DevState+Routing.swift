import Foundation

/// Which handler serves which path on which part. Unknown paths get 404 JSON.
extension DevState {
    func route(_ request: DevRequest, at part: DevPart) async -> DevResponse {
        let path = request.path
        switch part {
        case .plc:
            if path.hasPrefix("/did:") { return plcDocument(request) }
            if path == "/_health" { return .json(200, ["version": .string("dev")]) }
            return .notFound
        case .entryway, .entrywayPDS, .selfHostedPDS:
            break
        }
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
