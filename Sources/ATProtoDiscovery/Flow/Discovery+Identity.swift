import ATProtoOAuth
import Foundation

/// DID → document (R4), the bidirectional handle check (R5) and the PDS (R6).
extension Discovery {
    struct ResolvedDocument {
        let document: DIDDocument
        let json: JSONValue?
    }

    /// Fetches (or takes from the cache) the DID document on the `resolve-did` step.
    func resolveDocument(_ did: DID, _ recorder: StepRecorder) async throws -> ResolvedDocument {
        let step = DiscoveryStepName.resolveDID
        recorder.start(step, target: did.rawValue)
        let url: URL
        do {
            try did.requireSupportedMethod()
            url =
                did.isPLC
                ? did.plcDocumentURL(directory: configuration.plcDirectory)
                : try did.webDocumentURL(allowLocalhostPort: configuration.allowHTTPLoopback)
        } catch let error as ATProtoOAuthError {
            throw DiscoveryError.core(error, .invalidInput, step: step, target: did.rawValue)
        }
        let target = url.absoluteString
        if configuration.useCache, let hit = await cache.document(for: did, scope: cacheScope, now: clock()) {
            recorder.finish(
                step, .ok, detail: "\(Self.summary(of: hit.document)) (cached)", target: target, document: hit.json)
            return ResolvedDocument(document: hit.document, json: hit.json)
        }
        recorder.setTarget(step, target)
        let response = try await get(url, accept: "application/did+ld+json, application/json", step: step)
        guard response.status == 200 else {
            throw DiscoveryError(
                response.status == 404 || response.status == 410 ? .notFound : .badResponse, step: step,
                target: target, rule: "R4", field: "status",
                response.status == 404
                    ? "HTTP 404: no DID document for \(did)"
                    : "HTTP \(response.status); expected exactly 200")
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(response.body, source: "DID document")
        } catch {
            throw DiscoveryError(
                .invalidDocument, step: step, target: target, rule: "R4", field: "document",
                "the DID document for \(did) is not valid JSON")
        }
        let document: DIDDocument
        do {
            document = try DIDDocument.decode(response.body, expectedDID: did)
        } catch let error as ATProtoOAuthError {
            throw DiscoveryError.core(error, .invalidDocument, step: step, target: target)
        }
        if configuration.useCache {
            await cache.store(.init(document: document, json: json), for: did, scope: cacheScope, now: clock())
        }
        recorder.finish(step, .ok, detail: Self.summary(of: document), target: target, document: json)
        return ResolvedDocument(document: document, json: json)
    }

    static func summary(of document: DIDDocument) -> String {
        let handle = document.handle.map { "handle \($0)" } ?? "no handle"
        return "\(document.id), \(handle), \(document.service?.count ?? 0) service(s)"
    }

    /// R5 on the `verify-handle` step. From a typed handle the document must claim it, or
    /// discovery fails (someone else's DID could be behind a hostile TXT record). From a typed
    /// DID the claimed handle is resolved back; a mismatch leaves it unverified, not fatal,
    /// because the DID itself is what logs in.
    func verifyHandle(
        did: DID, document: DIDDocument, typedHandle: Handle?, _ recorder: StepRecorder
    ) async throws -> Identity {
        let step = DiscoveryStepName.verifyHandle
        let claimed = document.alsoKnownAs?.first { $0.lowercased().hasPrefix("at://") }
        if let typedHandle {
            recorder.start(step, target: "alsoKnownAs")
            guard document.verifies(typedHandle) else {
                throw DiscoveryError(
                    .handleMismatch, step: step, target: "alsoKnownAs", rule: "R5", field: "alsoKnownAs",
                    "the DID document of \(did) claims \(claimed ?? "no at:// handle"), not at://\(typedHandle); "
                        + "the handle is not verified")
            }
            recorder.finish(step, .ok, detail: "at://\(typedHandle) is the first alias of \(did)")
            return Identity(did: did, handle: typedHandle, handleVerified: true, document: document)
        }
        guard let handle = document.handle else {
            recorder.finish(step, .skipped, detail: "the document claims no valid at:// handle")
            return Identity(did: did, handle: nil, handleVerified: false, document: document)
        }
        recorder.start(step, target: handle.rawValue)
        do {
            let resolved = try await resolveHandle(handle, step: step, recorder) { $0 }
            let verified = resolved == did
            recorder.finish(
                step, .ok,
                detail: verified
                    ? "\(handle) resolves back to \(did)"
                    : "✗ \(handle) resolves to \(resolved), not \(did): handle unverified")
            return Identity(did: did, handle: handle, handleVerified: verified, document: document)
        } catch let error as DiscoveryError where error.code != .cancelled {
            recorder.finish(step, .ok, detail: "✗ \(handle) does not resolve back (\(error.reason)): handle unverified")
            return Identity(did: did, handle: handle, handleVerified: false, document: document)
        }
    }

    /// The PDS origin of the document (R6) on the `pds-endpoint` step.
    func pdsEndpoint(_ document: DIDDocument, _ recorder: StepRecorder) throws -> URL {
        let step = DiscoveryStepName.pdsEndpoint
        recorder.start(step, target: "service #atproto_pds")
        do {
            let pds = try document.pdsEndpoint(allowHTTPLoopback: configuration.allowHTTPLoopback)
            recorder.finish(step, .ok, detail: pds.absoluteString, target: pds.absoluteString)
            return pds
        } catch let error as ATProtoOAuthError {
            throw DiscoveryError.core(error, .invalidDocument, step: step, target: "service #atproto_pds")
        }
    }
}
