import ATProtoOAuth
import Foundation
import Testing

/// `OAuthScope.missing(in:)` and `XRPCErrorBody`: what a refused XRPC call says (R28).
@Suite("missing scope in an XRPC answer")
struct ScopeMissingTests {
    static func answer(_ status: Int, _ body: String, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: Data(body.utf8))
    }

    @Test("the reference PDS's 403 ScopeMissingError names the scope in quotes")
    func referenceShape() {
        let response = Self.answer(
            403,
            #"{"error":"ScopeMissingError","message":"Missing required scope \"repo:app.bsky.feed.post?action=create\""}"#
        )
        #expect(OAuthScope.missing(in: response) == "repo:app.bsky.feed.post?action=create")
        let body = XRPCErrorBody.parse(response)
        #expect(body?.error == "ScopeMissingError")
        #expect(body?.summary.hasPrefix("ScopeMissingError: Missing required scope") == true)
    }

    @Test("the older wording, and an RFC 6750 insufficient_scope challenge")
    func otherShapes() {
        let older = Self.answer(
            403, #"{"error":"ScopeMissingError","message":"Missing required scope: blob:image/png (or equivalent)"}"#)
        #expect(OAuthScope.missing(in: older) == "blob:image/png")
        let challenge = Self.answer(
            403, "",
            headers: [
                ("WWW-Authenticate", #"DPoP error="insufficient_scope", scope="rpc:app.bsky.feed.getFeed?aud=*""#)
            ])
        #expect(OAuthScope.missing(in: challenge) == "rpc:app.bsky.feed.getFeed?aud=*")
    }

    @Test("other answers name no scope")
    func notAboutScopes() {
        #expect(OAuthScope.missing(in: Self.answer(400, #"{"error":"InvalidRequest","message":"bad cursor"}"#)) == nil)
        #expect(OAuthScope.missing(in: Self.answer(200, #"{"message":"Missing required scope \"x\""}"#)) == nil)
        #expect(OAuthScope.missing(in: Self.answer(403, "<html>forbidden</html>")) == nil)
        #expect(XRPCErrorBody.parse(Self.answer(502, "<html>")) == nil)
        #expect(XRPCErrorBody.parse(Self.answer(200, #"{"error":"x"}"#)) == nil)
    }
}
