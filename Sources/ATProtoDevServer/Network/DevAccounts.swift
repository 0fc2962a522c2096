/// The parts of the dev network, each an HTTP server on its own loopback port.
enum DevPart: String, Sendable, CaseIterable {
    /// The PLC directory.
    case plc
    /// The entryway authorization server (like `https://bsky.social`): an AS, no repos.
    case entryway
    /// A PDS whose authorization server is the entryway.
    case entrywayPDS = "entryway-pds"
    /// A self-hosted PDS that is its own authorization server.
    case selfHostedPDS = "self-hosted-pds"
    /// A second PDS behind the entryway: where an account moves without changing issuer (R21).
    case secondEntrywayPDS = "second-entryway-pds"

    var isAuthorizationServer: Bool { self == .entryway || self == .selfHostedPDS }
    var isPDS: Bool { self == .entrywayPDS || self == .selfHostedPDS || self == .secondEntrywayPDS }

    /// The authorization server a PDS trusts (itself, for the self-hosted PDS).
    var authorizationServerOfPDS: DevPart { self == .selfHostedPDS ? .selfHostedPDS : .entryway }
}

/// Where each part listens once started.
struct DevTopology: Sendable {
    var origins: [DevPart: String]

    func origin(_ part: DevPart) -> String { origins[part] ?? "" }

    /// The PDS part listening at `origin`, if any.
    func pds(at origin: String) -> DevPart? {
        origins.first { $0.key.isPDS && $0.value == origin }?.key
    }
}

/// A seeded account: fixed handle and did:plc so tests and docs can name them.
struct DevAccount: Sendable, Hashable {
    let handle: String
    let did: String
    let pds: DevPart

    /// `did:plc:` + 24 base32 characters ([a-z2-7]), as real PLC identifiers have; fixed, so
    /// sessions and fixtures stay valid across runs.
    static let seeded: [DevAccount] = [
        DevAccount(handle: "alice.test", did: "did:plc:alicetestdevaccount2222a", pds: .entrywayPDS),
        DevAccount(handle: "bob.test", did: "did:plc:bobtestdevaccount2222222", pds: .entrywayPDS),
        DevAccount(handle: "carol.test", did: "did:plc:caroltestdevaccount22222", pds: .selfHostedPDS),
    ]

    /// The seeded accounts as a network in `tls` mode names them: the same DIDs and PDSes,
    /// handles under ``DevHostNames/domain`` instead of `.test` (which a production-mode
    /// client refuses, R2).
    static func seeded(tls: Bool) -> [DevAccount] {
        guard tls else { return seeded }
        return seeded.map { DevAccount(handle: DevHostNames.handle($0.name), did: $0.did, pds: $0.pds) }
    }

    /// The seeded accounts followed by `generated` more on the entryway PDS, for fleet
    /// benchmarks and tests (``DevNetworkConfiguration/generatedAccounts``): `user0.test`,
    /// `user1.test` … with DIDs `did:plc:generateddevaccount` + the index in 5 base32 digits.
    static func all(tls: Bool, generated: Int) -> [DevAccount] {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        let extra = (0..<min(max(generated, 0), maxGenerated)).map { index in
            var rest = index
            var suffix = ""
            for _ in 0..<5 {
                suffix = String(alphabet[rest % 32]) + suffix
                rest /= 32
            }
            let name = "user\(index)"
            return DevAccount(
                handle: tls ? DevHostNames.handle(name) : name + ".test", did: "did:plc:generateddevaccount" + suffix,
                pds: .entrywayPDS)
        }
        return seeded(tls: tls) + extra
    }

    /// As many generated accounts as 5 base32 digits tell apart.
    static let maxGenerated = 32 * 32 * 32 * 32 * 32

    /// The first name label: `bob` for `bob.test` and for `bob.devnet.atproto-oauth.dev`.
    var name: String { handle.split(separator: ".").first.map(String.init) ?? handle }

    /// The account among `accounts` a `login_hint` names (handle, `@handle` or DID), if any.
    static func matching(hint: String?, in accounts: [DevAccount]) -> DevAccount? {
        guard var hint = hint?.lowercased() else { return nil }
        if hint.hasPrefix("@") { hint.removeFirst() }
        if hint.hasPrefix("at://") { hint.removeFirst(5) }
        return accounts.first { $0.handle == hint || $0.did == hint }
    }
}

/// The host names of a dev network in TLS mode (`DevNetworkConfiguration.tls`).
///
/// They sit under `devnet.atproto-oauth.dev`: a real gTLD, so a production-mode client
/// accepts them (R2 refuses `.test`, `.example`, `.local` …), and a name that is plainly
/// this project's. Nothing is ever sent to the real domain: clients reach every name
/// through the network's CONNECT proxy, which only knows these names, and look up TXT
/// records at the network's own DNS responder.
public enum DevHostNames {
    /// The parent of every name of the TLS dev network.
    public static let domain = "devnet.atproto-oauth.dev"

    /// The host of a part: `plc.devnet.atproto-oauth.dev`, `entryway.…`, `entryway-pds.…`,
    /// `self-hosted-pds.…`, `second-entryway-pds.…`.
    static func host(_ part: DevPart) -> String { "\(part.rawValue).\(domain)" }

    /// The handle (and well-known host) of a seeded account: `alice.devnet.atproto-oauth.dev`.
    static func handle(_ name: String) -> String { "\(name).\(domain)" }
}
