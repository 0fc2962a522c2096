import ATProtoOAuth
import Foundation

/// Finds and validates everything a login needs, from what a person typed (R1): handle →
/// DID → document → PDS → protected-resource metadata → authorization-server metadata,
/// then every named profile check.
///
/// Each step is published as it changes (all `pending` first, then `running` →
/// `ok`/`failed`/`skipped`), so the CLI can print a line per step and the TUI can draw
/// them live. Every document is fetched exactly once per flow; identity answers are cached
/// for at most 10 minutes (R7).
///
/// ```swift
/// let discovery = Discovery(transport: transport, txtResolver: resolver,
///                           configuration: .init(plcDirectory: URL(string: "https://plc.directory")!))
/// let result = try await discovery.discover(try LoginInput("alice.example.com", allowHTTPLoopback: false))
/// print(result.did!, result.issuer)
/// ```
public struct Discovery: Sendable {
    let transport: any HTTPTransport
    let txtResolver: any TXTResolver
    /// Where identities resolve and how strict discovery is.
    public let configuration: DiscoveryConfiguration
    let cache: IdentityCache
    let clock: @Sendable () -> Date

    /// - Parameters:
    ///   - cache: shared by default so that a login and its subject check share answers; pass
    ///     a fresh `IdentityCache()` for isolation (tests), or set `configuration.useCache` to
    ///     `false` to bypass it.
    ///   - clock: the time cache entries are stamped and checked with (tests move it).
    public init(
        transport: any HTTPTransport, txtResolver: any TXTResolver, configuration: DiscoveryConfiguration,
        cache: IdentityCache = .shared, clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.transport = transport
        self.txtResolver = txtResolver
        self.configuration = configuration
        self.cache = cache
        self.clock = clock
    }

    /// Parses what a person typed (R1), naming `resolve-handle` as the failing step so a
    /// typo is reported like any other discovery failure.
    public static func input(_ typed: String, allowHTTPLoopback: Bool) throws -> LoginInput {
        do {
            return try LoginInput(typed, allowHTTPLoopback: allowHTTPLoopback)
        } catch let error as ATProtoOAuthError {
            // LoginInput reports R1; name R2 when it is the handle syntax that failed.
            let trimmed = typed.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            let isHandle = !trimmed.isEmpty && !trimmed.contains("://") && !trimmed.hasPrefix("did:")
            throw DiscoveryError(
                .invalidInput, step: .resolveHandle, target: nil, rule: isHandle ? "R2" : error.rule ?? "R1",
                field: error.field, error.reason)
        }
    }

    /// Runs every step, publishing each `FlowStep` change to `progress`. Throws a
    /// ``DiscoveryError`` naming the failing step; that step is published as `failed` first.
    ///
    /// `progress` is called in order, possibly from several tasks; it must be quick and must
    /// not call back into discovery.
    public func discover(
        _ input: LoginInput, progress: @escaping @Sendable (FlowStep) -> Void = { _ in }
    ) async throws -> DiscoveryResult {
        let recorder = StepRecorder(publish: progress)
        recorder.announceAll()
        do {
            return try await run(input, recorder)
        } catch {
            let running = DiscoveryStepName.allCases.first { recorder.status($0) == .running } ?? .resolveHandle
            let failure = DiscoveryError.transport(error, step: running, target: nil)
            recorder.fail(failure)
            throw failure
        }
    }

    /// The same as ``discover(_:progress:)`` as a stream for the TUI: `.step` events, then one
    /// `.finished`. Cancelling the consuming task (or dropping the stream) cancels discovery.
    public func events(for input: LoginInput) -> AsyncStream<DiscoveryEvent> {
        AsyncStream(bufferingPolicy: .unbounded) { continuation in
            let task = Task {
                do {
                    let result = try await discover(input) { continuation.yield(.step($0)) }
                    continuation.yield(.finished(.success(result)))
                } catch let error as DiscoveryError {
                    continuation.yield(.finished(.failure(error)))
                } catch {
                    continuation.yield(
                        .finished(.failure(DiscoveryError.transport(error, step: .resolveHandle, target: nil))))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// R21: the PDS and authorization server that speak for `did` now (DID → document → PDS →
    /// resource metadata → issuer), resolved afresh whatever the cache holds: a refresh asks
    /// this before spending its single-use refresh token.
    public func currentServers(for did: DID) async throws -> (pds: URL, issuer: URL) {
        try await resolveCurrentServers(did, likelyPDS: nil)
    }

    /// R21 as above, in one round trip instead of two when the account has not moved: the
    /// resource metadata of `likelyPDS` (the PDS the session last used) is fetched while the
    /// DID document is, and used only if the document names that same PDS. Both answers are
    /// fresh; a moved account's new PDS is asked afterwards and the guess dropped.
    public func currentServers(for did: DID, likelyPDS: URL) async throws -> (pds: URL, issuer: URL) {
        try await resolveCurrentServers(did, likelyPDS: likelyPDS)
    }

    private func resolveCurrentServers(_ did: DID, likelyPDS: URL?) async throws -> (pds: URL, issuer: URL) {
        // Resolve with the cache bypassed, then remember the fresh answer for later flows.
        var fresh = configuration
        fresh.useCache = false
        let uncached = Discovery(
            transport: transport, txtResolver: txtResolver, configuration: fresh, cache: cache, clock: clock)
        let recorder = StepRecorder { _ in }
        let guessRecorder = StepRecorder { _ in }
        let guess = likelyPDS.map { pds in
            Task { try await uncached.fetchResourceMetadata(pds: pds, fromServerURL: false, guessRecorder) }
        }
        defer { guess?.cancel() }
        do {
            let resolved = try await uncached.resolveDocument(did, recorder)
            let pds = try uncached.pdsEndpoint(resolved.document, recorder)
            let resource =
                if let guess, pds == likelyPDS {
                    try await guess.value
                } else {
                    try await uncached.fetchResourceMetadata(pds: pds, fromServerURL: false, recorder)
                }
            guard let resource else {
                throw DiscoveryError(
                    .notFound, step: .resourceMetadata, rule: "R8", "the PDS has no protected-resource metadata")
            }
            if configuration.useCache {
                await cache.store(pds: pds, issuer: resource.issuer, for: did, scope: cacheScope, now: clock())
            }
            return (pds, resource.issuer)
        } catch {
            // The document's steps first: a guess still in flight when the document failed is not the cause.
            let running =
                [recorder, guessRecorder].lazy.compactMap { recorder in
                    DiscoveryStepName.allCases.first { recorder.status($0) == .running }
                }.first ?? .resolveDID
            throw DiscoveryError.transport(error, step: running, target: nil)
        }
    }

    /// Cache entries are only valid for the directory and resolver that produced them.
    var cacheScope: String {
        "plc=\(configuration.plcDirectory.absoluteString) resolver=\(configuration.handleResolver?.absoluteString ?? "dns+https")"
    }

    private func run(_ input: LoginInput, _ recorder: StepRecorder) async throws -> DiscoveryResult {
        switch input {
        case .serverURL(let url):
            for step in [DiscoveryStepName.resolveHandle, .resolveDID, .verifyHandle, .pdsEndpoint] {
                recorder.finish(step, .skipped, detail: "a server URL was typed (R1): no identity to resolve")
            }
            let identity = Identity(did: nil, handle: nil, handleVerified: false, document: nil)
            return try await discoverServers(
                input: input.typed, identity: identity, pds: url, fromServerURL: true, recorder)
        case .did(let did):
            recorder.finish(.resolveHandle, .skipped, detail: "a DID was typed")
            return try await discoverFromDID(did, typedHandle: nil, input: input.typed, recorder)
        case .handle(let handle):
            recorder.start(.resolveHandle, target: handle.rawValue)
            return try await resolveHandle(handle, step: .resolveHandle, recorder) { did in
                try await discoverFromDID(did, typedHandle: handle, input: input.typed, recorder)
            }
        }
    }

    private func discoverFromDID(
        _ did: DID, typedHandle: Handle?, input: String, _ recorder: StepRecorder
    ) async throws -> DiscoveryResult {
        let resolved = try await resolveDocument(did, recorder)
        let identity = try await verifyHandle(did: did, document: resolved.document, typedHandle: typedHandle, recorder)
        let pds = try pdsEndpoint(resolved.document, recorder)
        return try await discoverServers(input: input, identity: identity, pds: pds, fromServerURL: false, recorder)
    }

    /// Who the account is, once resolved.
    struct Identity {
        var did: DID?
        var handle: Handle?
        var handleVerified: Bool
        var document: DIDDocument?
    }

    /// A metadata document (R8, R9): from the cache when it holds a successful answer for `url`
    /// and the configuration allows it (never for the R21 re-check), else fetched, a
    /// successful answer then cached. Every check still runs on what is returned.
    func getMetadata(_ url: URL, step: DiscoveryStepName) async throws -> HTTPResponse {
        if configuration.useCache, let cached = await cache.metadataResponse(for: url, now: clock()) {
            return cached
        }
        let response = try await get(url, accept: "application/json", step: step)
        if configuration.useCache, (200..<300).contains(response.status) {
            await cache.store(metadataResponse: response, for: url, now: clock())
        }
        return response
    }

    /// One GET through the transport; whatever it throws becomes a ``DiscoveryError`` of `step`.
    func get(_ url: URL, accept: String, step: DiscoveryStepName) async throws -> HTTPResponse {
        do {
            return try await transport.send(HTTPRequest(method: "GET", url: url, headers: [("Accept", accept)]))
        } catch {
            throw DiscoveryError.transport(error, step: step, target: url.absoluteString)
        }
    }
}
