import ATProtoDiscovery
import ATProtoOAuth
import Foundation

/// The `--json` shape of `discover`: a stable contract for scripts.
struct DiscoverOutput: Encodable {
    struct Check: Encodable {
        let rule: String
        let name: String
        let ok: Bool
        let detail: String
    }

    struct Step: Encodable {
        let step: String
        let status: String
        let ms: Int?
        let detail: String

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(step, forKey: .step)
            try container.encode(status, forKey: .status)
            try container.encode(ms, forKey: .ms)
            try container.encode(detail, forKey: .detail)
        }

        enum CodingKeys: String, CodingKey { case step, status, ms, detail }
    }

    let input: String
    let did: String?
    let handle: String?
    let handleVerified: Bool
    let pds: String
    let issuer: String
    let resourceMetadata: ProtectedResourceMetadata?
    let authorizationServerMetadata: AuthorizationServerMetadata
    let checks: [Check]
    let steps: [Step]

    init(_ result: DiscoveryResult) {
        input = result.input
        did = result.did?.rawValue
        handle = result.handle?.rawValue
        handleVerified = result.handleVerified
        pds = result.pds.absoluteString
        issuer = result.issuer.absoluteString
        resourceMetadata = result.resourceMetadata
        authorizationServerMetadata = result.authorizationServerMetadata
        checks = result.checks.map { Check(rule: $0.rule, name: $0.name, ok: $0.ok, detail: $0.detail) }
        steps = result.steps.map {
            Step(step: $0.name, status: $0.status.rawValue, ms: $0.milliseconds, detail: $0.detail)
        }
    }

    enum CodingKeys: String, CodingKey {
        case input, did, handle, handleVerified, pds, issuer, resourceMetadata, authorizationServerMetadata
        case checks, steps
    }

    /// Absent values are written as `null` so every key is always present.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(input, forKey: .input)
        try container.encode(did, forKey: .did)
        try container.encode(handle, forKey: .handle)
        try container.encode(handleVerified, forKey: .handleVerified)
        try container.encode(pds, forKey: .pds)
        try container.encode(issuer, forKey: .issuer)
        try container.encode(resourceMetadata, forKey: .resourceMetadata)
        try container.encode(authorizationServerMetadata, forKey: .authorizationServerMetadata)
        try container.encode(checks, forKey: .checks)
        try container.encode(steps, forKey: .steps)
    }

    func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// The human summary printed after the step lines.
    static func summary(_ result: DiscoveryResult) -> String {
        var lines = [""]
        lines.append("DID     \(result.did?.rawValue ?? "– (server URL)")")
        if let handle = result.handle {
            lines.append("handle  \(handle) \(result.handleVerified ? "✓ verified" : "✗ not verified")")
        } else {
            lines.append("handle  –")
        }
        lines.append("PDS     \(result.pds.absoluteString)")
        lines.append("issuer  \(result.issuer.absoluteString)")
        lines.append("")
        lines.append("checks")
        for check in result.checks {
            lines.append("  \(check.ok ? "✓" : "✗") \(check.rule) \(check.name): \(check.detail)")
        }
        return lines.joined(separator: "\n")
    }
}
