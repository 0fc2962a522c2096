import ATProtoDiscovery
import ATProtoHTTP
import ATProtoOAuth
import ArgumentParser
import Foundation

/// Turns the shared flags into the runtime objects every command needs. Invalid values are
/// usage errors (`ValidationError`, exit 2), reported before any network traffic.
extension GlobalOptions {
    /// The one HTTP client of the process (pooled keep-alive connections); call
    /// `shutdown()` on it before exiting.
    func makeTransport() throws -> HTTPClientTransport {
        let limit = Duration.milliseconds(Int64((timeout * 1000).rounded()))
        do {
            return try HTTPClientTransport(
                configuration: .init(
                    allowHTTPLoopback: allowHTTPLoopback,
                    connectTimeout: limit,
                    timeout: limit,
                    caFile: caFile ?? HTTPClientTransport.Configuration.defaultCAFile))
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// DNS TXT look-ups through libresolv, pinned to `--dns-server` when given.
    func makeTXTResolver() throws -> ResolvTXTResolver {
        let limit = Duration.milliseconds(Int64((min(timeout, 30) * 1000).rounded()))
        do {
            return try ResolvTXTResolver(nameserver: dnsServer, timeout: limit)
        } catch {
            throw ValidationError("--dns-server: \(error)")
        }
    }

    /// `--plc-url`, `--handle-resolver` and `--allow-http-loopback` as a discovery configuration.
    func discoveryConfiguration() throws -> DiscoveryConfiguration {
        DiscoveryConfiguration(
            plcDirectory: try serviceURL(plcURL, flag: "--plc-url"),
            handleResolver: try handleResolver.map { try serviceURL($0, flag: "--handle-resolver") },
            allowHTTPLoopback: allowHTTPLoopback)
    }

    /// An https URL with a host (http only for loopback with `--allow-http-loopback`, R29).
    private func serviceURL(_ text: String, flag: String) throws -> URL {
        guard let url = URL(string: text), url.scheme != nil,
            let host = url.host(percentEncoded: false), !host.isEmpty
        else { throw ValidationError("\(flag) \(text) is not an absolute URL") }
        if url.query != nil || url.fragment != nil || url.user != nil {
            throw ValidationError("\(flag) \(text) must not have a query, fragment or credentials")
        }
        if let problem = url.transportSecurityProblem(allowHTTPLoopback: allowHTTPLoopback) {
            throw ValidationError("\(flag) \(text): \(problem) (R29)")
        }
        return url
    }
}
