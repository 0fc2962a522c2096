import ATProtoDevServer
import ATProtoHTTP
import Foundation

/// Starts a dev network and the real HTTP client pointed at it, runs `body`, and stops both
/// whatever `body` did: every network benchmark starts this way.
func withDevNetwork<T>(
    _ configuration: DevNetworkConfiguration,
    _ body: (DevNetwork, DevNetworkInfo, HTTPClientTransport) async throws -> T
) async throws -> T {
    let network = DevNetwork(configuration: configuration)
    let info = try await network.start()
    let transport: HTTPClientTransport
    do {
        transport = try HTTPClientTransport(configuration: .init(allowHTTPLoopback: true))
    } catch {
        await network.stop()
        throw error
    }
    let outcome: Result<T, any Error>
    do {
        outcome = .success(try await body(network, info, transport))
    } catch {
        outcome = .failure(error)
    }
    try? await transport.shutdown()
    await network.stop()
    return try outcome.get()
}
