import ATProtoDevServer
import ATProtoHTTP
import ArgumentParser
import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `atproto-oauth dev-server`: a strict ATProto network on 127.0.0.1 (PLC, entryway and
/// self-hosted PDS with their authorization servers, DNS) for demos and for testing
/// clients, in any language, against real protocol rules.
struct DevServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-server",
        abstract: "Run a strict loopback ATProto network (PLC, PDS, authorization server, DNS) until interrupted.",
        discussion: """
            Prints one JSON line to stdout: the origin of each part (plc, entryway, pds,
            handleResolver), the DNS address, the seeded accounts (alice.test and bob.test on the
            entryway PDS, carol.test on the self-hosted PDS) and clientFlags, the global flags a
            client needs to use this network. Requests are logged to stderr (never tokens).
            Control calls on the PLC origin, for tests: POST /_dev/move-account?did=D&pds=ORIGIN
            moves an account to another of its PDSes (the second entryway PDS keeps the issuer,
            the self-hosted one changes it); POST /_dev/revoke-sessions?did=D revokes every
            session of an account server-side. Runs until SIGINT or SIGTERM, then exits 0.

            --tls runs it as a real network is reached, for clients in production mode: https
            origins on port 443 under devnet.atproto-oauth.dev (plc., entryway., entryway-pds.,
            self-hosted-pds., second-entryway-pds.), handles alice/bob/carol.devnet.atproto-oauth.dev
            (each serving /.well-known/atproto-did; bob's has no DNS TXT record), and a CONNECT
            proxy on 127.0.0.1 that terminates TLS with a throwaway CA and reaches nothing else.
            The info line adds proxy and caFile; run clients with HTTPS_PROXY=<proxy> and the
            clientFlags (--plc-url, --dns-server, --ca-file; no --allow-http-loopback).
            """
    )

    @Option(
        help:
            "First port: PLC on N, entryway N+1, PDSes N+2 and N+3, DNS (UDP) N+4, second entryway PDS N+5, TLS proxy N+6. 0 picks free ports."
    )
    var port: UInt16 = 0

    @Flag(help: "Approve every authorization request at once instead of showing the consent page.")
    var autoApprove = false

    @Option(help: "Milliseconds of latency added to every HTTP response.")
    var latencyMs: Int = 0

    @Option(help: "Access-token lifetime in seconds.")
    var accessTtl: Int = 300

    @Option(help: "DPoP nonce rotation period in seconds.")
    var nonceTtl: Int = 180

    @Flag(help: "Serve https origins under devnet.atproto-oauth.dev through a TLS-terminating proxy (production mode).")
    var tls = false

    @Option(help: "Never answer the first N HTTP requests, whichever part they reach (to test clients' time-outs).")
    var hangNext: Int = 0

    @Option(
        help: "Accounts beyond alice, bob and carol, on the entryway PDS: user0.test, user1.test … (fleet benchmarks).")
    var generatedAccounts: Int = 0

    @Option(help: "Answer this share of HTTP requests (0–1) with 500 at random (soak tests).")
    var failRate: Double = 0

    @Option(help: "Never answer this share of HTTP requests (0–1), at random (soak tests).")
    var hangRate: Double = 0

    @Option(
        name: .customLong("hang-path"),
        help: "Never answer requests whose path starts with this, e.g. /did: or /oauth/token.")
    var hangingPaths: [String] = []

    func validate() throws {
        guard latencyMs >= 0 else { throw ValidationError("--latency-ms must be 0 or more") }
        guard accessTtl > 0 else { throw ValidationError("--access-ttl must be at least 1 second") }
        guard nonceTtl > 0 else { throw ValidationError("--nonce-ttl must be at least 1 second") }
        guard hangNext >= 0 else { throw ValidationError("--hang-next must be 0 or more") }
        guard (0...1).contains(failRate), (0...1).contains(hangRate), failRate + hangRate <= 1 else {
            throw ValidationError("--fail-rate and --hang-rate must be between 0 and 1, together at most 1")
        }
        guard (0...100_000).contains(generatedAccounts) else {
            throw ValidationError("--generated-accounts must be between 0 and 100000")
        }
        guard port == 0 || port <= UInt16.max - 6 else { throw ValidationError("--port leaves no room for 7 ports") }
    }

    func run() async throws {
        // Hosted client ids (R10) are fetched like any client would: loopback http allowed.
        let fetcher = try HTTPClientTransport(configuration: .init(allowHTTPLoopback: true))
        let network = DevNetwork(
            configuration: DevNetworkConfiguration(
                basePort: port, autoApprove: autoApprove, latency: .milliseconds(latencyMs),
                accessTokenLifetime: .seconds(accessTtl), nonceLifetime: .seconds(nonceTtl),
                clientMetadataFetcher: fetcher, tls: tls, generatedAccounts: generatedAccounts,
                randomFailureRate: failRate, randomHangRate: hangRate, hangingPaths: hangingPaths),
            logger: DevNetwork.standardErrorLogger())
        let signals = SignalWaiter(signals: [SIGINT, SIGTERM])
        let info: DevNetworkInfo
        do {
            info = try await network.start()
            if hangNext > 0 { await network.failNextRequests(hangNext, mode: .hang) }
        } catch {
            try? await fetcher.shutdown()
            FileHandle.standardError.write(Data("atproto-oauth dev-server: \(error)\n".utf8))
            throw ExitCode.failure
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // One line, written straight to the descriptor: nothing left in a stdio buffer for a
        // script that reads the line and then waits.
        FileHandle.standardOutput.write(try encoder.encode(info) + Data("\n".utf8))

        await signals.wait()
        await network.stop()
        try? await fetcher.shutdown()
    }
}
