import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// A one-route HTTPS server on 127.0.0.1 with a self-signed certificate (CN "atproto-http
/// test", SAN 127.0.0.1, ::1, localhost, valid until 2126), for the TLS paths of the
/// transport: untrusted by default, trusted once its PEM is passed as `caFile`.
struct LocalTLSServer {
    static let certificatePEM = """
        -----BEGIN CERTIFICATE-----
        MIIBzzCCAXWgAwIBAgIUW2lQYSE1D02dLHi3Qv+t/XNw8MwwCgYIKoZIzj0EAwIw
        HDEaMBgGA1UEAwwRYXRwcm90by1odHRwIHRlc3QwIBcNMjYxMTI3MTExNjIyWhgP
        MjEyNjExMDMxMTE2MjJaMBwxGjAYBgNVBAMMEWF0cHJvdG8taHR0cCB0ZXN0MFkw
        EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEHnjHJUFotwzTJmD4IRAkCHbpNuNCb+kE
        oW1Z4tcnEbh4+5X/1GIw3MPdfOm+ZPJSyVk6UhbJyKKMSy4xI0xXuKOBkjCBjzAd
        BgNVHQ4EFgQUl9wkBD3SEJx9OvGEANBmsEFFc3QwHwYDVR0jBBgwFoAUl9wkBD3S
        EJx9OvGEANBmsEFFc3QwLAYDVR0RBCUwI4cEfwAAAYcQAAAAAAAAAAAAAAAAAAAA
        AYIJbG9jYWxob3N0MA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgKEMAoG
        CCqGSM49BAMCA0gAMEUCIEvjDeVoKen62EPxbbCUw7mqsWjwwufE9ieAMqGq30ti
        AiEApxkqh0Ih2oHikhU5Fy38dMsslshUaQLGjMd2bD3rHkc=
        -----END CERTIFICATE-----
        """

    // A throwaway key made for these tests only; it protects nothing.
    static let privateKeyPEM = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg/HCQn6RaYcKBMNM5
        Zrnq7eNqbyenz7fTW2yPUkLVdmyhRANCAAQeeMclQWi3DNMmYPghECQIduk240Jv
        6QShbVni1ycRuHj7lf/UYjDcw9186b5k8lLJWTpSFsnIooxLLjEjTFe4
        -----END PRIVATE KEY-----
        """

    let channel: any Channel
    let port: Int

    static func start() async throws -> LocalTLSServer {
        let certificate = try NIOSSLCertificate(bytes: Array(certificatePEM.utf8), format: .pem)
        let key = try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)
        let context = try NIOSSLContext(
            configuration: .makeServerConfiguration(
                certificateChain: [.certificate(certificate)], privateKey: .privateKey(key)))
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.addHandler(FixedJSONResponder())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else {
            try await channel.close()
            throw LocalServerError("TLS server has no port")
        }
        return LocalTLSServer(channel: channel, port: port)
    }

    var url: URL { URL(string: "https://127.0.0.1:\(port)/tls") ?? URL(fileURLWithPath: "/") }

    func stop() async {
        try? await channel.close()
    }

    /// Writes the certificate to a temporary PEM file, the form `caFile` takes.
    static func writeCertificateFile() throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("atproto-http-ca-\(UUID().uuidString).pem").path
        try Data(certificatePEM.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// Answers any request with `{"tls":true}` once the request head has arrived.
private final class FixedJSONResponder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var received = ""

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        received += buffer.readString(length: buffer.readableBytes) ?? ""
        guard received.contains("\r\n\r\n") else { return }
        received = ""
        let body = #"{"tls":true}"#
        let response =
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\n\r\n\(body)"
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: response)), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
