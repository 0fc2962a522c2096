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

    @Test("R28/R20: unrecognized forms only when asked for (a grant)")
    func unrecognized() throws {
        let scope = try OAuthScope("space:com.example.x", allowUnrecognized: true)
        #expect(scope.kind == .unrecognized("space:com.example.x"))
        #expect(scope.description == "space:com.example.x")
        #expect(!scope.isRecognized && scope.unrecognizedReason?.contains("unknown scope resource") == true)
        #expect(OAuthScope.atproto.isRecognized && OAuthScope.atproto.unrecognizedReason == nil)
        #expect(throws: ATProtoOAuthError.self) { try OAuthScope("space:com.example.x") }
        #expect(throws: ATProtoOAuthError.self) { try OAuthScope("sp ace", allowUnrecognized: true) }
    }

    @Test(
        "R20: a granted token that passes RFC 6749 but not specs/permission is kept as unrecognized",
        arguments: [
            "repo:bad", "transition:newthing", "rpc:*?aud=*", "rpc:app.bsky.feed.getFeed",
            "repo:app.bsky.feed.post?future=1", "repo:app.bsky.feed.post?action=archive", "account:password",
            "identity:did", "blob:image", "include:not_an_nsid", "include:app.bsky.authFullApp?aud=*",
            "futurething:xyz", "futurething", "repo:", "repo:app.bsky%ZZ.post", ":x", "?x=y", "atproto:x",
            "rpc:app.bsky.feed.getFeed?aud=*&aud=*", "repo:a.b.c?action", "repo:a.b.c?&", "%", "!",
        ])
    func grantedUnrecognized(_ token: String) throws {
        let scope = try OAuthScope(token, allowUnrecognized: true)
        #expect(scope.kind == .unrecognized(token))
        #expect(scope.description == token)
        #expect(scope.unrecognizedReason != nil)
        let set = try ScopeSet(granted: "atproto " + token)
        #expect(set.includesATProto && set.unrecognized == [scope] && set.description == "atproto " + token)
    }

    @Test(
        "R20: only RFC 6749 scope-token violations fail a granted scope",
        arguments: [
            "atproto a\"b", "atproto a\\b", "atproto caf\u{E9}", "atproto\ttransition:generic", "atproto\n",
            "atproto x\u{7F}", "atproto \u{1}",
        ])
    func grantedSyntax(_ scope: String) throws {
        let error = try #require(throws: ATProtoOAuthError.self) { try ScopeSet(granted: scope) }
        #expect(error.code == .invalidScope && error.rule == "R20")
    }

    @Test("R28: repeated query parameters are valid (specs/permission)")
    func repeatedParameters() throws {
        #expect(
            try OAuthScope("repo:app.bsky.feed.post?action=create&action=delete").kind
                == .repo(RepoPermission(collections: ["app.bsky.feed.post"], actions: [.create, .delete])))
        #expect(
            try OAuthScope("repo?collection=a.b.c&collection=d.e.f").kind
                == .repo(RepoPermission(collections: ["a.b.c", "d.e.f"], actions: [.create, .update, .delete])))
        let rpc = RPCPermission(methods: ["a.b.c", "d.e.f"], audience: "did:web:api.bsky.app#bsky_appview")
        #expect(try OAuthScope("rpc?lxm=a.b.c&lxm=d.e.f&aud=did:web:api.bsky.app%23bsky_appview").kind == .rpc(rpc))
        #expect(try OAuthScope("rpc?lxm=a.b.c&lxm=d.e.f&aud=did:web:api.bsky.app#bsky_appview").kind == .rpc(rpc))
        #expect(try OAuthScope("rpc?aud=did:web:api.bsky.app%23bsky_appview&lxm=d.e.f&lxm=a.b.c").kind == .rpc(rpc))
        #expect(
            try OAuthScope("blob?accept=image/*&accept=video/*").kind
                == .blob(BlobPermission(accept: ["image/*", "video/*"])))
        #expect(
            try OAuthScope("repo:app.bsky.feed.post?action=create&action=delete&action=create").kind
                == .repo(RepoPermission(collections: ["app.bsky.feed.post"], actions: [.create, .delete])))
    }

    @Test("R28: include: is a valid scope to request")
    func requestInclude() throws {
        let set = try ScopeSet("atproto include:com.example.dev.basicAccess")
        #expect(set.includesATProto && set.unrecognized.isEmpty)
        #expect(set.description == "atproto include:com.example.dev.basicAccess")
        let withAudience = try ScopeSet("atproto include:app.bsky.authFullApp?aud=did:web:api.bsky.app%23bsky_appview")
        guard case .include(let include) = withAudience.scopes[1].kind else {
            Issue.record("not include")
            return
        }
        #expect(include.audience == "did:web:api.bsky.app#bsky_appview")
    }

    @Test("R28: scope sets split on spaces, de-duplicate by meaning, keep the string as given")
    func scopeSet() throws {
        let input = "atproto  transition:generic repo?collection=app.bsky.feed.post atproto repo:app.bsky.feed.post"
        let set = try ScopeSet(input)
        #expect(set.scopes == [.atproto, .transitionGeneric, try OAuthScope("repo:app.bsky.feed.post")])
        #expect(set.rawValue == input && set.description == input)
        #expect(set.canonical == "atproto transition:generic repo:app.bsky.feed.post")
        #expect(set.includesATProto)
        #expect(set.contains(.transitionGeneric))
        #expect(!set.contains(.transitionEmail))
        #expect(try ScopeSet(set.description) == set)
        #expect(try ScopeSet(set.canonical) != set)
        #expect(try ScopeSet(set.canonical).isEquivalent(to: set))
        #expect(!(try ScopeSet("transition:generic")).includesATProto)
        #expect(try ScopeSet("").scopes.isEmpty)
        #expect(ScopeSet([.atproto, .atproto]).scopes == [.atproto])
        #expect(ScopeSet([.atproto, .atproto, .transitionEmail]).description == "atproto transition:email")
        let error = try #require(throws: ATProtoOAuthError.self) { try ScopeSet("atproto rpc:a.b.c") }
        #expect(error.reason.contains("rpc: scope requires aud") && error.rule == "R28")
        #expect(throws: ATProtoOAuthError.self) { try ScopeSet("atproto\ttransition:generic") }
    }

    @Test("R20: a granted scope is kept verbatim; the parsed view is for display")
    func grantedVerbatim() throws {
        let granted =
            "atproto repo:com.example.dev.post?action=create&action=delete "
            + "repo?collection=com.example.dev.like&collection=com.example.dev.repost "
            + "rpc?lxm=com.example.dev.getFeed&lxm=com.example.dev.getTimeline&aud=did:web:appview.dev.test%23dev_appview "
            + "blob?accept=image/*&accept=video/* futurething:xyz atproto repo:com.example.dev.post?action=delete&action=create"
        let set = try ScopeSet(granted: granted)
        #expect(set.rawValue == granted && set.description == granted)
        #expect(set.scopes.count == 6)
        #expect(set.unrecognized == [OAuthScope(kind: .unrecognized("futurething:xyz"))])
        #expect(
            set.contains(
                OAuthScope(
                    kind: .rpc(
                        RPCPermission(
                            methods: ["com.example.dev.getFeed", "com.example.dev.getTimeline"],
                            audience: "did:web:appview.dev.test#dev_appview")))))
        #expect(set.canonical.hasPrefix("atproto repo:com.example.dev.post?action=create&action=delete "))
    }

    @Test("R20: grants(_:) compares a request with a grant by meaning")
    func grants() throws {
        let grant = try ScopeSet(
            granted:
                "atproto repo:a.a.a repo:b.b.b?action=create rpc:*?aud=did:web:x.example.com%23svc "
                + "blob:image/* account:email?action=manage identity:* include:c.c.c futurething:xyz")
        func grants(_ token: String) throws -> Bool { grant.grants(try OAuthScope(token, allowUnrecognized: true)) }
        #expect(try grants("atproto"))
        #expect(try grants("repo:a.a.a?action=delete"))
        #expect(try grants("repo?collection=a.a.a&collection=b.b.b&action=create"))
        #expect(try !grants("repo?collection=a.a.a&collection=b.b.b"))
        #expect(try !grants("repo:*?action=create"))
        #expect(try grants("rpc:d.d.d?aud=did:web:x.example.com%23svc"))
        #expect(try !grants("rpc:d.d.d?aud=did:web:y.example.com%23svc"))
        #expect(try grants("blob?accept=image/png&accept=image/*"))
        #expect(try !grants("blob:video/mp4"))
        #expect(try !grants("blob:*/*"))
        #expect(try grants("account:email"))
        #expect(try !grants("account:repo"))
        #expect(try grants("identity:handle"))
        #expect(try grants("include:c.c.c"))
        #expect(try !grants("include:d.d.d"))
        #expect(try grants("futurething:xyz"))
        #expect(try !grants("futurething:abc"))
        #expect(try !grants("transition:generic"))
        #expect(try ScopeSet(granted: "atproto repo:*").grants(try OAuthScope("repo:a.b.c")))
        #expect(try ScopeSet(granted: "atproto blob:*/*").grants(try OAuthScope("blob:*/*")))
    }

    @Test("R20/R28: scope sets encode as their verbatim string; decoding is lenient")
    func scopeSetCodable() throws {
        let set = try ScopeSet("atproto blob:image/*")
        let data = try JSONEncoder().encode(["scope": set])
        #expect(String(decoding: data, as: UTF8.self) == #"{"scope":"atproto blob:image\/*"}"#)
        #expect(try JSONDecoder().decode([String: ScopeSet].self, from: data)["scope"] == set)
        let granted = try JSONDecoder().decode([ScopeSet].self, from: Data(#"["atproto space:x.y.z"]"#.utf8))
        #expect(granted.first?.scopes.count == 2)
        let odd = try JSONDecoder().decode([ScopeSet].self, from: Data(#"["atproto rpc:a.b.c  atproto"]"#.utf8))
        #expect(odd.first?.rawValue == "atproto rpc:a.b.c  atproto")
        #expect(String(decoding: try JSONEncoder().encode(odd), as: UTF8.self) == #"["atproto rpc:a.b.c  atproto"]"#)
        #expect(throws: ATProtoOAuthError.self) {
            try JSONDecoder().decode([ScopeSet].self, from: Data(#"["atproto\tx"]"#.utf8))
        }
    }
}
