import ATProtoOAuth
import Foundation

/// PDS → protected-resource metadata (R8) → authorization-server metadata (R9) → checks.
extension Discovery {
    struct ResourceOutcome {
        let metadata: ProtectedResourceMetadata
        let issuer: URL
        let checks: [ProfileCheck]
    }

    /// `<pds>/.well-known/oauth-protected-resource` on the `resource-metadata` step. Returns
    /// `nil` only for a typed server URL that answers 404: that origin is then tried as the
    /// authorization server itself, as the TypeScript client does.
    func fetchResourceMetadata(
        pds: URL, fromServerURL: Bool, _ recorder: StepRecorder
    ) async throws -> ResourceOutcome? {
        let step = DiscoveryStepName.resourceMetadata
        let url = Self.wellKnown(pds, "oauth-protected-resource")
        let target = url.absoluteString
        recorder.start(step, target: target)
        let response = try await getMetadata(url, step: step)
        if fromServerURL && response.status == 404 {
            recorder.finish(
                step, .skipped, detail: "HTTP 404: no resource metadata; trying \(pds) as the authorization server")
            return nil
        }
        let responseChecks = ProtectedResourceMetadata.responseChecks(response)
        try Self.require(responseChecks, .badResponse, step: step, target: target)
        let (json, metadata) = try Self.parseDocument(
            response.body, source: "protected resource metadata", rule: "R8", step: step, target: target,
            ProtectedResourceMetadata.decode)
        let checks = metadata.checks(pds: pds, allowHTTPLoopback: configuration.allowHTTPLoopback)
        try Self.require(checks, .profileViolation, step: step, target: target)
        let issuer: URL
        do {
            issuer = try metadata.authorizationServer(allowHTTPLoopback: configuration.allowHTTPLoopback)
        } catch let error as ATProtoOAuthError {
            throw DiscoveryError.core(error, .profileViolation, step: step, target: target)
        }
        recorder.finish(step, .ok, detail: "authorization server \(issuer.absoluteString)", document: json)
        return ResourceOutcome(metadata: metadata, issuer: issuer, checks: responseChecks + checks)
    }

    /// Resource metadata, authorization-server metadata and every profile check, then the result.
    func discoverServers(
        input: String, identity: Identity, pds: URL, fromServerURL: Bool, _ recorder: StepRecorder
    ) async throws -> DiscoveryResult {
        let resource = try await fetchResourceMetadata(pds: pds, fromServerURL: fromServerURL, recorder)
        let issuer = resource?.issuer ?? pds

        let step = DiscoveryStepName.authorizationServerMetadata
        let url = Self.wellKnown(issuer, "oauth-authorization-server")
        let target = url.absoluteString
        recorder.start(step, target: target)
        let response = try await getMetadata(url, step: step)
        let responseChecks = AuthorizationServerMetadata.responseChecks(response)
        try Self.require(responseChecks, .badResponse, step: step, target: target)
        let (json, metadata) = try Self.parseDocument(
            response.body, source: "authorization server metadata", rule: "R9", step: step, target: target,
            AuthorizationServerMetadata.decode)
        // R29 (RFC 9728 §4): a server that lists what it protects must list this PDS.
        var resourceChecks: [ProfileCheck] = []
        if let resourceID = resource?.metadata.resource,
            let check = metadata.protectedResourcesCheck(resource: resourceID)
        {
            try Self.require([check], .profileViolation, step: step, target: target)
            resourceChecks.append(check)
        }
        recorder.finish(step, .ok, detail: "issuer \(metadata.issuer)", document: json)

        let checksStep = DiscoveryStepName.profileChecks
        recorder.start(checksStep, target: issuer.absoluteString)
        let serverChecks = metadata.checks(issuer: issuer, allowHTTPLoopback: configuration.allowHTTPLoopback)
        let checks = (resource?.checks ?? []) + responseChecks + serverChecks + resourceChecks
        let failures = checks.failures
        if let first = failures.first {
            for failure in failures {
                recorder.addSubresult(checksStep, "✗ \(failure.rule) \(failure.name): \(failure.detail)")
            }
            throw DiscoveryError(
                .profileViolation, step: checksStep, target: target, rule: first.rule, field: first.name,
                failures.count == 1
                    ? first.detail : "\(first.detail) (and \(failures.count - 1) more failing check(s))")
        }
        recorder.finish(checksStep, .ok, detail: "all \(checks.count) checks pass")

        return DiscoveryResult(
            input: input, did: identity.did, handle: identity.handle, handleVerified: identity.handleVerified,
            didDocument: identity.document, pds: pds, issuer: issuer, resourceMetadata: resource?.metadata,
            authorizationServerMetadata: metadata, checks: checks, steps: recorder.snapshot)
    }

    /// Throws for the first failing check, naming its rule and field.
    private static func require(
        _ checks: [ProfileCheck], _ code: DiscoveryError.Code, step: DiscoveryStepName, target: String
    ) throws {
        guard let first = checks.failures.first else { return }
        throw DiscoveryError(code, step: step, target: target, rule: first.rule, field: first.name, first.detail)
    }

    /// `<origin>/.well-known/<name>`.
    static func wellKnown(_ origin: URL, _ name: String) -> URL {
        var base = origin.originString ?? origin.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        return URL(string: "\(base)/.well-known/\(name)") ?? origin.appending(path: ".well-known/\(name)")
    }

    /// A metadata document both ways: the raw JSON the inspector shows, and the typed value the
    /// checks read. A decoding failure names the field and the rule.
    static func parseDocument<Document>(
        _ body: Data, source: String, rule: String, step: DiscoveryStepName, target: String,
        _ decode: (Data) throws -> Document
    ) throws -> (JSONValue, Document) {
        do {
            return (try JSONValue.parse(body, source: source), try decode(body))
        } catch let error as ATProtoOAuthError {
            throw DiscoveryError(
                .invalidDocument, step: step, target: target, rule: rule, field: error.field, error.reason)
        }
    }
}
