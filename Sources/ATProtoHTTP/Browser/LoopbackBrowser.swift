import ATProtoOAuth
import AsyncHTTPClient
import Foundation
import NIOCore

/// A stand-in for a person's browser in development flows on loopback (the offline demo):
/// visits an authorization URL and follows its redirects — to the loopback callback — as a
/// browser would. Refuses anything but loopback URLs, so it can never wander the network.
public enum LoopbackBrowser {
    /// Visits `url`, following at most five redirects; returns the final status.
    public static func visit(_ url: URL, timeout: Duration = .seconds(10)) async throws -> Int {
        guard url.isLoopback else { throw ATProtoHTTPError.insecureURL(url, allowHTTPLoopback: true) }
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: HTTPClient.Configuration(redirectConfiguration: .follow(max: 5, allowCycles: false)))
        do {
            let response = try await client.execute(
                HTTPClientRequest(url: url.absoluteString), timeout: .seconds(timeout.components.seconds))
            _ = try await response.body.collect(upTo: 1 << 20)
            try await client.shutdown()
            return Int(response.status.code)
        } catch {
            try? await client.shutdown()
            throw ATProtoHTTPError.failed(url, reason: "\(error)")
        }
    }
}
