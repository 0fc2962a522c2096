import ATProtoOAuth
import Foundation

@testable import ATProtoAccountsTUI

/// Fixed data so every frame and state is deterministic.
enum Sample {
    /// 2026-11-27T12:00:00Z.
    static let now = Date(timeIntervalSince1970: 1_795_780_800)

    static let alice = AccountSummary(
        did: "did:plc:ewvi7nxzyoun6zhxrhs64oiz", handle: "alice.test", pdsHost: "https://pds.alice.test",
        issuer: "https://auth.alice.test", scope: "atproto transition:generic",
        expiresAt: now.addingTimeInterval(14 * 60 + 59), createdAt: now.addingTimeInterval(-2 * 86_400 - 300),
        refreshedAt: now.addingTimeInterval(-60), dpopThumbprint: "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
        isDefault: true)

    static let bob = AccountSummary(
        did: "did:plc:4b7n3jqkq2zqyzaavx6sufeb", handle: "bob.test", pdsHost: "https://pds.bob.test",
        issuer: "https://auth.bob.test", scope: "atproto", expiresAt: now.addingTimeInterval(42),
        createdAt: now.addingTimeInterval(-3 * 3_600), dpopThumbprint: "mPx0gG3qL6x1t5tRbJgDk0Wf2gkq9Zt3p0tC8aB1cDe")

    static let carol = AccountSummary(
        did: "did:web:carol.example.com", handle: "carol.example.com", pdsHost: "https://pds.example.com",
        issuer: "https://bsky.social", scope: "atproto transition:generic transition:chat.bsky",
        expiresAt: now.addingTimeInterval(-5 * 60), createdAt: now.addingTimeInterval(-40 * 60),
        refreshedAt: now.addingTimeInterval(-35 * 60), dpopThumbprint: "q2bWm9yM1kq8bL0PzX4cR7sT6uV5wY3zA2bC1dE0fG9")

    static let dave = AccountSummary(
        did: "did:plc:dq3v4kzzkx5s6pbrbfnvhsxy", handle: "dave.test", pdsHost: "https://pds.alice.test",
        issuer: "https://auth.alice.test", scope: "atproto transition:generic",
        expiresAt: now.addingTimeInterval(-3 * 86_400), createdAt: now.addingTimeInterval(-10 * 86_400),
        dpopThumbprint: "H8kz0WlP2bq7Yv4Ue1xT9cR5sA3dF6gJ0hK2lM4nB7v", needsLogin: true, hasRefreshToken: false)

    static let handles = ["alice.test", "bob.test", "carol.test"]

    static func model(
        _ accounts: [AccountSummary] = [alice, bob, carol], problems: [StoreProblemSummary] = [], rows: Int = 24,
        cols: Int = 80
    ) -> Model {
        var model = Model(now: now, rows: rows, cols: cols, suggestedHandles: handles)
        model = update(model, .accountsLoaded(accounts: accounts, problems: problems)).0
        return model
    }

    static func step(
        _ name: String, _ status: FlowStep.Status, ms: Int? = nil, target: String? = nil, detail: String = "",
        subresults: [String] = [], document: JSONValue? = nil
    ) -> FlowStep {
        FlowStep(
            name: name, status: status, milliseconds: ms, target: target, detail: detail, subresults: subresults,
            document: document)
    }

    static let didDocument: JSONValue = .object([
        "id": .string("did:plc:4b7n3jqkq2zqyzaavx6sufeb"),
        "alsoKnownAs": .array([.string("at://bob.test")]),
        "service": .array([
            .object([
                "id": .string("#atproto_pds"), "type": .string("AtprotoPersonalDataServer"),
                "serviceEndpoint": .string("https://pds.bob.test"),
            ])
        ]),
    ])

    static let finishedSteps: [FlowStep] = [
        step(
            "resolve-handle", .ok, ms: 12, target: "bob.test", detail: "did:plc:4b7n3jqkq2zqyzaavx6sufeb",
            subresults: ["dns: did:plc:4b7n3jqkq2zqyzaavx6sufeb", "https: did:plc:4b7n3jqkq2zqyzaavx6sufeb"]),
        step(
            "resolve-did", .ok, ms: 31, target: "https://plc.test/did:plc:4b7n3jqkq2zqyzaavx6sufeb",
            detail: "PDS https://pds.bob.test", document: didDocument),
        step(
            "resource-metadata", .ok, ms: 9, target: "https://pds.bob.test/.well-known/oauth-protected-resource",
            detail: "authorization server https://auth.bob.test",
            document: .object(["resource": .string("https://pds.bob.test")])),
        step(
            "auth-server-metadata", .ok, ms: 14,
            target: "https://auth.bob.test/.well-known/oauth-authorization-server",
            detail: "issuer https://auth.bob.test",
            document: .object(["issuer": .string("https://auth.bob.test")])),
    ]

    static let checks: [ProfileCheck] = [
        ProfileCheck(rule: "R9", name: "issuer", ok: true, detail: "equals the fetched origin"),
        ProfileCheck(rule: "R10", name: "pushed_authorization_request", ok: true, detail: "PAR is required"),
        ProfileCheck(rule: "R11", name: "dpop_signing_alg", ok: true, detail: "ES256 offered"),
        ProfileCheck(rule: "R12", name: "scopes_supported", ok: true, detail: "atproto offered"),
        ProfileCheck(rule: "R13", name: "client_id_metadata", ok: true, detail: "supported"),
    ]

    static let authorizationURL =
        URL(
            string:
                "https://auth.alice.test/oauth/authorize?client_id=http%3A%2F%2Flocalhost%3Fredirect_uri%3Dhttp%253A%252F%252F127.0.0.1%253A54321%252Fcallback&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Areq-5f1c2e"
        )
        ?? URL(fileURLWithPath: "/")
}

/// Feeds events through `update`, collecting every effect.
func run(_ model: Model, _ events: [Event]) -> (Model, [Effect]) {
    var current = model
    var effects: [Effect] = []
    for event in events {
        let (next, produced) = update(current, event)
        current = next
        effects += produced
    }
    return (current, effects)
}

func run(_ model: Model, keys: [Key]) -> (Model, [Effect]) {
    run(model, keys.map(Event.key))
}

/// Keys for typing a string.
func typing(_ text: String) -> [Key] { text.map(Key.char) }
