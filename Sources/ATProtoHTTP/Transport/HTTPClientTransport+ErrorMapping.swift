import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Turns what AsyncHTTPClient, NIO and NIOSSL throw into ``ATProtoHTTPError``, so callers
/// see one error type whose message names the URL and what to do.
enum ErrorMapping {
    static func map(
        _ error: any Error, url: URL, proxy: ProxyEndpoint?, configuration: HTTPClientTransport.Configuration
    ) -> ATProtoHTTPError {
        let target = Self.target(of: url)
        switch error {
        case let error as HTTPClientError:
            return map(error, url: url, proxy: proxy, configuration: configuration)
        case let error as NIOConnectionError:
            return mapConnection(error, url: url, proxy: proxy)
        case let error as IOError:
            return mapIO(error, url: url, target: proxy?.description ?? target, proxy: proxy)
        case let error as ChannelError:
            if case .connectTimeout = error {
                return .timeout(url, after: configuration.connectTimeout, connecting: true)
            }
            if case .ioOnClosedChannel = error { return .connectionClosed(url) }
            if case .eof = error { return .connectionClosed(url) }
            return .failed(url, reason: String(describing: error))
        case let error as SocketAddressError:
            return .dns(
                url, name: url.host(percentEncoded: false) ?? "", nameserver: "the system resolver",
                reason: String(describing: error))
        case let error as NIOSSLError:
            return .tls(url, reason: String(describing: error))
        case let error as NIOSSLExtraError:
            return .tls(url, reason: String(describing: error))
        case let error as BoringSSLError:
            return .tls(url, reason: String(describing: error))
        default:
            return .failed(url, reason: String(describing: error))
        }
    }

    private static func map(
        _ error: HTTPClientError, url: URL, proxy: ProxyEndpoint?, configuration: HTTPClientTransport.Configuration
    ) -> ATProtoHTTPError {
        switch error {
        case .deadlineExceeded, .readTimeout, .writeTimeout:
            return .timeout(url, after: configuration.timeout)
        case .connectTimeout, .getConnectionFromPoolTimeout:
            return .timeout(url, after: configuration.connectTimeout, connecting: true)
        case .tlsHandshakeTimeout:
            return .tls(url, reason: "the TLS handshake timed out after \(configuration.connectTimeout)")
        case .remoteConnectionClosed, .uncleanShutdown:
            return .connectionClosed(url)
        case .invalidProxyResponse, .proxyAuthenticationRequired, .httpProxyHandshakeTimeout,
            .socksHandshakeTimeout, .invalidProxyConfiguration:
            return .proxy(url, proxy: proxy?.description ?? "(none)", reason: error.shortDescription.lowercased())
        case .invalidURL, .emptyHost, .emptyScheme:
            return .invalidURL(url, reason: error.shortDescription.lowercased())
        case .alreadyShutdown:
            return .shutDown(url)
        default:
            if error.shortDescription == HTTPClientError.invalidHeaderFieldNames([]).shortDescription
                || error.shortDescription == HTTPClientError.invalidHeaderFieldValues([]).shortDescription
            {
                return .invalidRequest(url, reason: error.shortDescription.lowercased())
            }
            return .failed(url, reason: error.shortDescription.lowercased())
        }
    }

    private static func mapConnection(_ error: NIOConnectionError, url: URL, proxy: ProxyEndpoint?) -> ATProtoHTTPError
    {
        let target = proxy?.description ?? "\(error.host):\(error.port)"
        if error.connectionErrors.isEmpty, let dnsError = error.dnsAError ?? error.dnsAAAAError {
            if let proxy {
                return .proxy(url, proxy: proxy.description, reason: "cannot resolve the proxy host: \(dnsError)")
            }
            return .dns(url, name: error.host, nameserver: "the system resolver", reason: String(describing: dnsError))
        }
        for failure in error.connectionErrors {
            if let io = failure.error as? IOError, io.errnoCode == ECONNREFUSED {
                if let proxy {
                    return .proxy(url, proxy: proxy.description, reason: "connection refused")
                }
                return .connectionRefused(url, target: target)
            }
        }
        let reasons = error.connectionErrors.map { String(describing: $0.error) }.joined(separator: "; ")
        if let proxy {
            return .proxy(url, proxy: proxy.description, reason: reasons.isEmpty ? "cannot connect" : reasons)
        }
        return .connectFailed(url, target: target, reason: reasons.isEmpty ? "no address to connect to" : reasons)
    }

    private static func mapIO(_ error: IOError, url: URL, target: String, proxy: ProxyEndpoint?) -> ATProtoHTTPError {
        switch error.errnoCode {
        case ECONNREFUSED:
            if let proxy { return .proxy(url, proxy: proxy.description, reason: "connection refused") }
            return .connectionRefused(url, target: target)
        case ECONNRESET, EPIPE:
            return .connectionClosed(url)
        default:
            return .connectFailed(url, target: target, reason: String(describing: error))
        }
    }

    /// `host:port` with the scheme's default port filled in.
    private static func target(of url: URL) -> String {
        let host = url.host(percentEncoded: false) ?? ""
        let bracketed = host.contains(":") ? "[\(host)]" : host
        let port = url.port ?? (url.scheme?.lowercased() == "http" ? 80 : 443)
        return "\(bracketed):\(port)"
    }
}
