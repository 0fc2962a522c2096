import ATProtoOAuth
import Foundation

/// Handle → DID (R2, R3).
extension Discovery {
    /// The longest well-known body accepted: a DID is at most 2048 characters, plus slack for
    /// whitespace. Anything bigger is not an atproto-did answer (R3, R29).
    static let wellKnownBodyLimit = 4096

    /// Resolves `handle` on `step` (running already; finished here only when it is
    /// `resolve-handle`), then continues with `then` while the slower look-up may still be
    /// in flight.
    ///
    /// DNS and HTTPS start together in one task group. A DNS answer decides at once and the
    /// flow goes on without waiting for HTTPS (whose outcome is still added as a sub-result
    /// when it arrives, or cancelled when the flow ends first); without a DNS answer the
    /// HTTPS answer decides; DNS wins any disagreement (R3).
    func resolveHandle<T: Sendable>(
        _ handle: Handle, step: DiscoveryStepName, _ recorder: StepRecorder,
        then: (DID) async throws -> T
    ) async throws -> T {
        let target = handle.rawValue
        do {
            // R2 before any DNS or HTTP; `.test` (the dev network) only in development mode.
            try handle.requireResolvable(development: configuration.allowHTTPLoopback)
        } catch let error as ATProtoOAuthError {
            throw DiscoveryError.core(error, .invalidInput, step: step, target: target)
        }
        if configuration.useCache, let did = await cache.did(forHandle: handle, scope: cacheScope, now: clock()) {
            if step == .resolveHandle { recorder.finish(step, .ok, detail: "\(did) (cached)") }
            return try await then(did)
        }
        if let resolver = configuration.handleResolver {
            let did = try await resolveWithXRPC(handle, resolver: resolver, step: step, recorder)
            await remember(did, for: handle)
            return try await then(did)
        }

        let dnsAnswer = DNSAnswerBox()
        return try await withThrowingTaskGroup(of: Lookup.self) { group in
            group.addTask { .dns(await lookUpTXT(handle, step: step, recorder, dnsAnswer)) }
            group.addTask { .https(await lookUpWellKnown(handle, step: step, recorder, dnsAnswer)) }
            var dns: Result<DID?, DiscoveryError>?
            var https: Result<DID, DiscoveryError>?
            while dns == nil || https == nil, let outcome = try await group.next() {
                switch outcome {
                case .dns(let result): dns = result
                case .https(let result): https = result
                }
                if case .success(.some)? = dns { break }
                if case .failure(let error)? = dns, error.code == .conflictingDIDs { break }
            }
            let did: DID
            let source: String
            switch (dns, https) {
            case (.success(.some(let answer))?, _):
                did = answer
                source = "DNS TXT"
            case (.failure(let error)?, _) where error.code == .conflictingDIDs:
                throw error
            case (_, .success(let answer)?):
                did = answer
                source = "HTTPS well-known"
            default:
                let dnsText: String
                switch dns {
                case .failure(let error)?: dnsText = error.reason
                default: dnsText = "no did= TXT record"
                }
                let httpsText = https.flatMap(Self.failureReason) ?? "no answer"
                throw DiscoveryError(
                    .notFound, step: step, target: target, rule: "R3",
                    "no DID found for \(target): DNS: \(dnsText); HTTPS: \(httpsText)")
            }
            if step == .resolveHandle {
                recorder.finish(step, .ok, detail: "\(did) (from \(source))")
            }
            await remember(did, for: handle)
            let result = try await then(did)
            // The flow is done; a well-known look-up still hanging must not hold it up.
            group.cancelAll()
            return result
        }
    }

    private static func failureReason<Value>(_ result: Result<Value, DiscoveryError>) -> String? {
        if case .failure(let error) = result { return error.reason }
        return nil
    }

    private func remember(_ did: DID, for handle: Handle) async {
        guard configuration.useCache else { return }
        await cache.store(did, forHandle: handle, scope: cacheScope, now: clock())
    }

    enum Lookup: Sendable {
        case dns(Result<DID?, DiscoveryError>)
        case https(Result<DID, DiscoveryError>)
    }

    /// What DNS answered, so a late HTTPS answer can say whether it disagrees.
    final class DNSAnswerBox: @unchecked Sendable {
        private let lock = NSLock()
        private var did: DID?
        var value: DID? {
            get { lock.withLock { did } }
            set { lock.withLock { did = newValue } }
        }
    }

    /// `_atproto.<handle>` TXT: records without `did=` are ignored; one DID is the answer;
    /// several different DIDs are a failure (R3). `nil` means no answer (wait for HTTPS).
    private func lookUpTXT(
        _ handle: Handle, step: DiscoveryStepName, _ recorder: StepRecorder, _ box: DNSAnswerBox
    ) async -> Result<DID?, DiscoveryError> {
        let name = "_atproto.\(handle.rawValue)"
        let target = "\(name) TXT"
        let records: [String]
        do {
            records = try await txtResolver.txtRecords(for: name)
        } catch {
            let failure = DiscoveryError.transport(error, step: step, target: target)
            recorder.addSubresult(step, "dns: \(target): \(failure.reason)")
            return .failure(failure)
        }
        let values = records.map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("did=") }
        var dids: [DID] = []
        for value in values {
            do {
                let did = try DID(String(value.dropFirst(4)))
                if !dids.contains(did) { dids.append(did) }
            } catch let error as ATProtoOAuthError {
                let failure = DiscoveryError(
                    .invalidDocument, step: step, target: target, rule: "R3", field: "did", error.reason)
                recorder.addSubresult(step, "dns: \(target): \(error.reason)")
                return .failure(failure)
            } catch {
                return .failure(DiscoveryError.transport(error, step: step, target: target))
            }
        }
        switch dids.count {
        case 0:
            let ignored = records.count - values.count
            let detail = ignored > 0 ? "\(ignored) record(s), none with did=" : "no record"
            recorder.addSubresult(step, "dns: \(target): \(detail)")
            return .success(nil)
        case 1:
            box.value = dids[0]
            recorder.addSubresult(step, "dns: \(target) → \(dids[0])")
            return .success(dids[0])
        default:
            let list = dids.map(\.rawValue).joined(separator: ", ")
            recorder.addSubresult(step, "dns: \(target): several DIDs (\(list))")
            return .failure(
                DiscoveryError(
                    .conflictingDIDs, step: step, target: target, rule: "R3", field: "did",
                    "DNS returned \(dids.count) different DIDs (\(list)); a handle must name exactly one"))
        }
    }

    /// `https://<handle>/.well-known/atproto-did` (port 443 only, by construction): 2xx,
    /// any media type, a DID on the first line (R3).
    private func lookUpWellKnown(
        _ handle: Handle, step: DiscoveryStepName, _ recorder: StepRecorder, _ box: DNSAnswerBox
    ) async -> Result<DID, DiscoveryError> {
        guard let url = URL(string: "https://\(handle.rawValue)/.well-known/atproto-did") else {
            return .failure(DiscoveryError(.invalidInput, step: step, rule: "R3", "cannot form the well-known URL"))
        }
        let target = url.absoluteString
        let result: Result<DID, DiscoveryError>
        do {
            let response = try await get(url, accept: "text/plain", step: step)
            result = .success(try Self.wellKnownDID(response, step: step, target: target))
        } catch let error as DiscoveryError {
            if error.code == .cancelled || Task.isCancelled {
                recorder.addSubresult(step, "https: \(target): not awaited (DNS answered first)")
                return .failure(error)
            }
            result = .failure(error)
        } catch {
            result = .failure(DiscoveryError.transport(error, step: step, target: target))
        }
        switch result {
        case .success(let did):
            let dns = box.value
            let note = dns.map { $0 == did ? " (agrees with DNS)" : " (disagrees with DNS \($0); DNS wins)" } ?? ""
            recorder.addSubresult(step, "https: \(target) → \(did)\(note)")
        case .failure(let error):
            recorder.addSubresult(step, "https: \(target): \(error.reason)")
        }
        return result
    }

    /// The DID in a well-known answer (R3): any 2xx, whatever the media type (real hosts
    /// send `application/octet-stream`, `text/plain; charset=…` and others, and the reference
    /// client does not look); the first line, trimmed, must parse as a DID. The size cap
    /// still applies, and an HTML page fails because its first line is not a DID.
    static func wellKnownDID(_ response: HTTPResponse, step: DiscoveryStepName, target: String) throws -> DID {
        guard (200..<300).contains(response.status) else {
            throw DiscoveryError(
                response.status == 404 ? .notFound : .badResponse, step: step, target: target, rule: "R3",
                field: "status", "HTTP \(response.status); expected 2xx")
        }
        guard response.body.count <= wellKnownBodyLimit else {
            throw DiscoveryError(
                .badResponse, step: step, target: target, rule: "R3", field: "body",
                "\(response.body.count) bytes; a DID answer is at most \(wellKnownBodyLimit)")
        }
        guard let text = String(data: response.body, encoding: .utf8) else {
            throw DiscoveryError(
                .invalidDocument, step: step, target: target, rule: "R3", field: "body", "not UTF-8 text")
        }
        let firstLine =
            text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
            .first.map(String.init) ?? ""
        let candidate = firstLine.trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            return try DID(candidate)
        } catch let error as ATProtoOAuthError {
            let media = response.mediaType.map { " (served as \($0))" } ?? ""
            throw DiscoveryError(
                .invalidDocument, step: step, target: target, rule: "R3", field: "body",
                "the first line of the body\(media) is not a DID: \(error.reason)")
        }
    }

    /// XRPC `com.atproto.identity.resolveHandle` at the configured service (R3 alternative).
    private func resolveWithXRPC(
        _ handle: Handle, resolver: URL, step: DiscoveryStepName, _ recorder: StepRecorder
    ) async throws -> DID {
        var components = URLComponents()
        components.path = "/xrpc/com.atproto.identity.resolveHandle"
        components.queryItems = [URLQueryItem(name: "handle", value: handle.rawValue)]
        guard let query = components.url(relativeTo: resolver)?.absoluteURL else {
            throw DiscoveryError(.invalidInput, step: step, rule: "R3", "cannot form the resolveHandle URL")
        }
        let target = query.absoluteString
        recorder.setTarget(step, target)
        let response = try await get(query, accept: "application/json", step: step)
        guard response.status == 200 else {
            let detail = (try? JSONValue.parse(response.body, source: "error"))?["error"]?.stringValue
            throw DiscoveryError(
                response.status == 400 || response.status == 404 ? .notFound : .badResponse, step: step,
                target: target, rule: "R3", field: "status",
                "HTTP \(response.status)\(detail.map { " (\($0))" } ?? ""); the resolver did not resolve \(handle)")
        }
        guard let json = try? JSONValue.parse(response.body, source: "resolveHandle"),
            let value = json["did"]?.stringValue
        else {
            throw DiscoveryError(
                .invalidDocument, step: step, target: target, rule: "R3", field: "did",
                "the response is not a JSON object with a string 'did'")
        }
        do {
            let did = try DID(value)
            recorder.addSubresult(step, "xrpc: \(target) → \(did)")
            if step == .resolveHandle { recorder.finish(step, .ok, detail: "\(did) (from resolveHandle)") }
            return did
        } catch let error as ATProtoOAuthError {
            throw DiscoveryError(.invalidDocument, step: step, target: target, rule: "R3", field: "did", error.reason)
        }
    }
}
