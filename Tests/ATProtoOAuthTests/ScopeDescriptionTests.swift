import Foundation
import Testing

@testable import ATProtoOAuth

/// R28: scopes are parsed "to show and to explain" — every kind has words a person can read,
/// and a token the library does not know is shown as such, never hidden.
@Suite("OAuth scopes in words (R28)")
struct ScopeDescriptionTests {
    @Test(
        "R28: each kind of scope in plain words",
        arguments: [
            ("atproto", "atproto: identify the account (its DID and handle)"),
            ("transition:generic", "transition:generic: everything an app password could do"),
            ("transition:chat.bsky", "transition:chat.bsky: Bluesky direct messages (with transition:generic)"),
            ("transition:email", "transition:email: read the account's email address"),
            ("repo:app.bsky.feed.post?action=create&action=delete", "repo: create, delete app.bsky.feed.post"),
            ("repo:app.bsky.feed.post", "repo: create, update, delete app.bsky.feed.post"),
            ("repo:*?action=delete", "repo: delete records of any collection"),
            (
                "repo?collection=app.bsky.feed.post&collection=app.bsky.feed.like&action=create",
                "repo: create app.bsky.feed.like, app.bsky.feed.post"
            ),
            (
                "rpc:app.bsky.feed.getTimeline?aud=did:web:api.bsky.app%23bsky_appview",
                "rpc: app.bsky.feed.getTimeline via did:web:api.bsky.app#bsky_appview"
            ),
            ("rpc:*?aud=did:web:api.bsky.app%23bsky_appview", "rpc: any method via did:web:api.bsky.app#bsky_appview"),
            ("rpc:app.bsky.feed.searchPosts?aud=*", "rpc: app.bsky.feed.searchPosts via any service"),
            ("blob:*/*", "blob: upload files of any type"),
            ("blob?accept=image/*&accept=video/mp4", "blob: upload image/*, video/mp4"),
            ("account:email", "account: read the email address"),
            ("account:email?action=manage", "account: read and change the email address"),
            ("account:repo?action=manage", "account: read and import the repository"),
            ("account:status", "account: read the account status"),
            ("identity:handle", "identity: change the handle"),
            ("identity:*", "identity: change the whole identity (handle, DID document, signing keys)"),
            ("include:app.bsky.authFullApp", "include: the permission set app.bsky.authFullApp"),
            (
                "include:app.bsky.authFullApp?aud=did:web:api.bsky.app%23bsky_appview",
                "include: the permission set app.bsky.authFullApp via did:web:api.bsky.app#bsky_appview"
            ),
        ])
    func words(_ token: String, _ expected: String) throws {
        #expect(try OAuthScope(token).plainDescription == expected)
    }

    @Test("R20/R28: a granted token the library does not know is shown verbatim as not recognised")
    func unrecognized() throws {
        let granted = try ScopeSet(granted: "atproto futurething:xyz repo:bad")
        #expect(
            granted.permissionLines == [
                "atproto: identify the account (its DID and handle)", "not recognised: futurething:xyz",
                "not recognised: repo:bad",
            ])
    }

    @Test("every account attribute and action, and every transitional value, has its own words")
    func everyCaseHasWords() throws {
        var lines: Set<String> = []
        for attribute in AccountPermission.Attribute.allCases {
            for action in AccountPermission.Action.allCases {
                let scope = try OAuthScope("account:\(attribute.rawValue)?action=\(action.rawValue)")
                lines.insert(scope.plainDescription)
            }
        }
        #expect(lines.count == AccountPermission.Attribute.allCases.count * AccountPermission.Action.allCases.count)
        let transitions = Set(
            try OAuthScope.transitionValues.map { try OAuthScope("transition:\($0)").plainDescription })
        #expect(transitions.count == OAuthScope.transitionValues.count)
        #expect(!transitions.contains { $0.contains("does not describe") })
    }

    @Test("permissionLines follows the set: first-seen order, duplicates by meaning once")
    func lines() throws {
        let granted = try ScopeSet(
            granted: "atproto repo:app.bsky.feed.post?action=create&action=delete transition:generic "
                + "repo:app.bsky.feed.post?action=delete&action=create")
        #expect(
            granted.permissionLines == [
                "atproto: identify the account (its DID and handle)", "repo: create, delete app.bsky.feed.post",
                "transition:generic: everything an app password could do",
            ])
    }
}
