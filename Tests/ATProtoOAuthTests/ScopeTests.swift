import Foundation
import Testing

@testable import ATProtoOAuth

@Suite("OAuth scopes (R28)")
struct ScopeTests {
    @Test(
        "R28: canonical scopes print back exactly",
        arguments: [
            "atproto", "transition:generic", "transition:chat.bsky", "transition:email",
            "repo:app.bsky.feed.post", "repo:*", "repo:app.bsky.feed.post?action=create",
            "repo:app.bsky.feed.post?action=create&action=delete",
            "repo?collection=app.bsky.feed.like&collection=app.bsky.feed.post",
            "rpc:app.bsky.feed.getFeedSkeleton?aud=did:web:feed.example.com%23bsky_fg",
            "rpc:app.bsky.feed.searchPosts?aud=*", "rpc:*?aud=did:web:api.bsky.app%23bsky_appview",
            "rpc?lxm=app.bsky.actor.getProfile&lxm=app.bsky.feed.getTimeline&aud=*",
            "blob:*/*", "blob:image/*", "blob:application/ld+json", "blob?accept=image/*&accept=video/mp4",
            "account:email", "account:repo?action=manage", "account:status",
            "identity:handle", "identity:*",
            "include:app.bsky.authFullApp", "include:app.bsky.authFullApp?aud=did:web:api.bsky.app%23bsky_appview",
        ])
    func roundTrip(_ token: String) throws {
        let scope = try OAuthScope(token)
        #expect(scope.description == token)
        #expect(try OAuthScope(scope.description) == scope)
    }

    @Test(
        "R28: equivalent spellings normalise to one canonical form",
        arguments: [
            ("repo?collection=app.bsky.feed.post", "repo:app.bsky.feed.post"),
            ("repo:app.bsky.feed.post?action=delete&action=create&action=update", "repo:app.bsky.feed.post"),
            (
                "repo:app.bsky.feed.post?action=delete&action=create",
                "repo:app.bsky.feed.post?action=create&action=delete"
            ),
            ("repo?collection=b.b.b&collection=a.a.a&collection=b.b.b", "repo?collection=a.a.a&collection=b.b.b"),
            ("repo?collection=a.a.a&collection=*", "repo:*"),
            (
                "rpc:app.bsky.feed.getFeed?aud=did:web:api.bsky.app#bsky_appview",
                "rpc:app.bsky.feed.getFeed?aud=did:web:api.bsky.app%23bsky_appview"
            ),
            ("rpc?aud=*&lxm=a.b.c", "rpc:a.b.c?aud=*"),
            ("blob?accept=image/png&accept=image/*&accept=VIDEO/MP4", "blob?accept=image/*&accept=video/mp4"),
            ("blob?accept=image/png&accept=*/*", "blob:*/*"),
            ("blob:image%2F*", "blob:image/*"),
            ("account:email?action=read", "account:email"),
            ("account?attr=repo&action=manage", "account:repo?action=manage"),
            ("identity?attr=handle", "identity:handle"),
            ("include?nsid=app.bsky.authFullApp", "include:app.bsky.authFullApp"),
        ])
    func normalisation(_ input: String, _ canonical: String) throws {
        let scope = try OAuthScope(input)
        #expect(scope.description == canonical)
        #expect(scope == (try OAuthScope(canonical)))
    }

    @Test("R28: parsed representation")
    func parsedKinds() throws {
        guard case .repo(let repo) = try OAuthScope("repo:app.bsky.feed.post?action=create").kind else {
            Issue.record("not repo")
            return
        }
        #expect(repo.collections == ["app.bsky.feed.post"])
        #expect(repo.actions == [.create])
        guard
            case .rpc(let rpc) = try OAuthScope("rpc:app.bsky.feed.getFeed?aud=did:web:api.bsky.app%23bsky_appview")
                .kind
        else {
            Issue.record("not rpc")
            return
        }
        #expect(rpc.methods == ["app.bsky.feed.getFeed"])
        #expect(rpc.audience == "did:web:api.bsky.app#bsky_appview")
        #expect(
            try OAuthScope("account:repo?action=manage").kind
                == .account(AccountPermission(attribute: .repo, action: .manage)))
        #expect(try OAuthScope("identity:*").kind == .identity(IdentityPermission(attribute: .any)))
        #expect(try OAuthScope("blob:image/*").kind == .blob(BlobPermission(accept: ["image/*"])))
        #expect(try OAuthScope("atproto") == .atproto)
        #expect(try OAuthScope("transition:generic") == .transitionGeneric)
        #expect(OAuthScope.transitionGeneric.description == "transition:generic")
        guard case .include(let include) = try OAuthScope("include:app.bsky.authFullApp").kind else {
            Issue.record("not include")
            return
        }
        #expect(include.permissionSet == (try NSID("app.bsky.authFullApp")))
        #expect(include.audience == nil)
    }

    @Test(
        "R28: malformed scopes are rejected with their reason",
        arguments: [
            ("", "empty"),
            ("rpc:app.bsky.feed.getFeed", "rpc: scope requires aud"),
            ("rpc:*?aud=*", "must not combine"),
            ("rpc:app.bsky.feed.getFeed?aud=did:web:api.bsky.app", "aud must be"),
            ("rpc:app.bsky.feed.getFeed?aud=did:key:abc%23x", "aud must be"),
            ("rpc:app.bsky.feed.getFeed?aud=*&aud=*", "only once"),
            ("repo", "requires a collection"),
            ("repo:", "empty value"),
            ("repo:not-an-nsid", "collection must be"),
            ("repo:app.bsky.feed.post?action=write", "create, update or delete"),
            ("repo:app.bsky.feed.post?collection=app.bsky.feed.like", "both"),
            ("repo:app.bsky.feed.post?foo=bar", "unknown parameter 'foo'"),
            ("repo:app.bsky.feed.post?", "empty query"),
            ("repo:app.bsky.feed.post?action", "key=value"),
            ("repo:app.bsky.feed.post?action=", "empty value"),
            ("repo:app.bsky.feed.post?action=create&&action=delete", "key=value"),
            ("repo:app.bsky%2", "percent"),
            ("repo:app.bsky%ZZ.post", "percent"),
            ("blob", "requires a MIME"),
            ("blob:image", "MIME"),
            ("blob:*/png", "MIME"),
            ("blob:image/*/x", "MIME"),
            ("blob:image/png;q=1", "MIME"),
            ("account:password", "email, repo or status"),
            ("account:email?action=write", "read or manage"),
            ("account", "requires attr"),
            ("identity:did", "handle or *"),
            ("identity", "requires attr"),
            ("include:not_an_nsid", "NSID"),
            ("include:app.bsky.authFullApp?aud=*", "aud must be"),
            ("atproto:x", "takes no value"),
            ("atproto?x=y", "takes no value"),
            ("transition:everything", "transition:generic"),
            ("transition", "transition:generic"),
            ("openid", "unknown scope resource 'openid'"),
            (":app.bsky.feed.post", "missing resource"),
            ("repo:app.bsky.feed.post\u{7F}", "not allowed"),
            ("repo:caf\u{E9}.x.y", "non-ASCII"),
            ("a\"b", "not allowed"),
            ("a\\b", "not allowed"),
        ])
    func malformed(_ token: String, _ reason: String) throws {
        let error = try #require(throws: ATProtoOAuthError.self) { try OAuthScope(token) }
        #expect(error.code == .invalidScope)
        #expect(error.rule == "R28")
        #expect(error.reason.contains(reason), "\(error.reason)")
    }

    @Test("R28: unrecognized resources only when asked for")
    func unrecognized() throws {
        let scope = try OAuthScope("space:com.example.x", allowUnrecognized: true)
        #expect(scope.kind == .unrecognized("space:com.example.x"))
        #expect(scope.description == "space:com.example.x")
        #expect(throws: ATProtoOAuthError.self) { try OAuthScope("repo:bad", allowUnrecognized: true) }
        #expect(throws: ATProtoOAuthError.self) { try OAuthScope("sp ace", allowUnrecognized: true) }
    }

    @Test("R28: scope sets split on spaces, de-duplicate preserving order")
    func scopeSet() throws {
        let set = try ScopeSet(
            "atproto  transition:generic repo?collection=app.bsky.feed.post atproto repo:app.bsky.feed.post")
        #expect(set.scopes == [.atproto, .transitionGeneric, try OAuthScope("repo:app.bsky.feed.post")])
        #expect(set.description == "atproto transition:generic repo:app.bsky.feed.post")
        #expect(set.includesATProto)
        #expect(set.contains(.transitionGeneric))
        #expect(!set.contains(.transitionEmail))
        #expect(try ScopeSet(set.description) == set)
        #expect(!(try ScopeSet("transition:generic")).includesATProto)
        #expect(try ScopeSet("").scopes.isEmpty)
        #expect(ScopeSet([.atproto, .atproto]).scopes == [.atproto])
        let error = try #require(throws: ATProtoOAuthError.self) { try ScopeSet("atproto rpc:a.b.c") }
        #expect(error.reason.contains("rpc: scope requires aud"))
        #expect(throws: ATProtoOAuthError.self) { try ScopeSet("atproto\ttransition:generic") }
    }

    @Test("R28: scope sets encode as one string")
    func scopeSetCodable() throws {
        let set = try ScopeSet("atproto blob:image/*")
        let data = try JSONEncoder().encode(["scope": set])
        #expect(String(decoding: data, as: UTF8.self) == #"{"scope":"atproto blob:image\/*"}"#)
        #expect(try JSONDecoder().decode([String: ScopeSet].self, from: data)["scope"] == set)
        let granted = try JSONDecoder().decode([ScopeSet].self, from: Data(#"["atproto space:x.y.z"]"#.utf8))
        #expect(granted.first?.scopes.count == 2)
        #expect(throws: ATProtoOAuthError.self) {
            try JSONDecoder().decode([ScopeSet].self, from: Data(#"["atproto rpc:a.b.c"]"#.utf8))
        }
    }
}
