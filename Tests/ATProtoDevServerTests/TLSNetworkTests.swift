import ATProtoDevServer
import ATProtoHTTP
import ATProtoOAuth
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The dev network in TLS mode, reached as a production-mode client reaches a real network:
/// https only (no `allowHTTPLoopback`), through the network's CONNECT proxy, trusting its
/// throwaway CA.
@Suite("Dev network in TLS mode (production-mode clients)")
struct TLSNetworkTests {
    /// Runs `body` with a TLS network and a production-mode transport (`caFile: nil` leaves
    /// the CA out, to show the certificates are really checked); always stops both.
    static func with(
        trustingCA: Bool = true, _ body: (DevNetwork, DevNetworkInfo, HTTPClientTransport) async throws -> Void
    ) async throws {
        let network = DevNetwork(configuration: .init(tls: true))
        let info = try await network.start()
        let transport: HTTPClientTransport
        do {
            let proxy = try #require(info.proxy)
            transport = try HTTPClientTransport(
                configuration: .init(
                    allowHTTPLoopback: false, timeout: .seconds(10), caFile: trustingCA ? info.caFile : nil,
                    proxy: ProxySettings(httpsProxy: proxy)))
        } catch {
            await network.stop()
            throw error
        }
        do {
            try await body(network, info, transport)
        } catch {
            try? await transport.shutdown()
            await network.stop()
            throw error
        }
        try await transport.shutdown()
        await network.stop()
    }

    static func get(_ transport: HTTPClientTransport, _ url: String) async throws -> HTTPResponse {
        let target = try #require(URL(string: url))
        return try await transport.send(HTTPRequest(method: "GET", url: target))
    }

    @Test("the info names https origins under devnet.atproto-oauth.dev, the proxy, the CA and production-mode flags")
    func info() async throws {
        var caFile: String?
        try await Self.with { _, info, _ in
            let domain = DevHostNames.domain
            #expect(info.plc == "https://plc.\(domain)")
            #expect(info.entryway == "https://entryway.\(domain)")
            #expect(
                info.pds == [
                    "https://entryway-pds.\(domain)", "https://self-hosted-pds.\(domain)",
                    "https://second-entryway-pds.\(domain)",
                ])
            #expect(info.accounts.map(\.handle) == ["alice.\(domain)", "bob.\(domain)", "carol.\(domain)"])
            #expect(
                info.accounts.map(\.did) == [
                    "did:plc:alicetestdevaccount2222a", "did:plc:bobtestdevaccount2222222",
                    "did:plc:caroltestdevaccount22222",
                ])
            let proxy = try #require(info.proxy)
            #expect(proxy.hasPrefix("http://127.0.0.1:"))
            #expect(info.clientEnvironment == ["HTTPS_PROXY": proxy])
            let file = try #require(info.caFile)
            caFile = file
            #expect(info.clientFlags == ["--plc-url", info.plc, "--dns-server", info.dns, "--ca-file", file])
            let attributes = try FileManager.default.attributesOfItem(atPath: file)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o644)
            let pem = try String(contentsOfFile: file, encoding: .utf8)
            #expect(pem.hasPrefix("-----BEGIN CERTIFICATE-----"))
        }
        let file = try #require(caFile)
        #expect(!FileManager.default.fileExists(atPath: file), "the CA file is removed at stop")
    }

    @Test("R4/R8/R3 over https: PLC document, PDS resource metadata, AS metadata and a handle's well-known")
    func documentsOverHTTPS() async throws {
        try await Self.with { network, info, transport in
            let bob = try #require(info.accounts.first { $0.handle.hasPrefix("bob.") })

            let plc = try await Self.get(transport, "\(info.plc)/\(bob.did)")
            #expect(plc.status == 200)
            let document = try DIDDocument.decode(plc.body, expectedDID: try DID(bob.did))
            #expect(document.handle?.rawValue == bob.handle)
            #expect(try document.pdsEndpoint(allowHTTPLoopback: false).absoluteString == info.pds[0])

            let resource = try await Self.get(transport, "\(info.pds[0])/.well-known/oauth-protected-resource")
            #expect(resource.status == 200)
            let resourceJSON = try JSONValue.parse(resource.body, source: "test")
            #expect(resourceJSON["resource"]?.stringValue == info.pds[0])
            #expect(resourceJSON["authorization_servers"]?.arrayValue?.first?.stringValue == info.entryway)

            let authorizationServer = try await Self.get(
                transport, "\(info.entryway)/.well-known/oauth-authorization-server")
            #expect(authorizationServer.status == 200)
            let issuer = try JSONValue.parse(authorizationServer.body, source: "test")["issuer"]?.stringValue
            #expect(issuer == info.entryway)

            // Every handle host answers, as real hosts do: application/octet-stream (R3).
            for account in info.accounts {
                let wellKnown = try await Self.get(transport, "https://\(account.handle)/.well-known/atproto-did")
                #expect(wellKnown.status == 200)
                #expect(wellKnown.mediaType == "application/octet-stream")
                #expect(String(decoding: wellKnown.body, as: UTF8.self) == account.did)
            }
            let other = try await Self.get(transport, "https://\(bob.handle)/xrpc/com.atproto.server.getSession")
            #expect(other.status == 404, "a handle host serves its well-known only")

            let log = await network.requestLog()
            #expect(log.contains { $0.origin == "https://\(bob.handle)" && $0.path == "/.well-known/atproto-did" })
            #expect(log.contains { $0.origin == info.plc && $0.path == "/\(bob.did)" })
        }
    }

    @Test("R3: DNS TXT answers for alice and carol; bob's handle resolves only by the HTTPS well-known")
    func dnsRecords() async throws {
        try await Self.with { _, info, _ in
            let resolver = try ResolvTXTResolver(nameserver: info.dns)
            for account in info.accounts {
                let records = try await resolver.txtRecords(for: "_atproto.\(account.handle)")
                if account.handle.hasPrefix("bob.") {
                    #expect(records.isEmpty)
                } else {
                    #expect(records == ["did=\(account.did)"])
                }
            }
        }
    }

    @Test("TLS is real: without the network's CA the certificate is refused")
    func certificateIsChecked() async throws {
        try await Self.with(trustingCA: false) { _, info, transport in
            await #expect(throws: (any Error).self) {
                _ = try await Self.get(transport, "\(info.plc)/_health")
            }
        }
    }

    @Test("the proxy refuses other ports, unknown hosts and non-CONNECT requests, and connects nowhere")
    func proxyRefusals() async throws {
        try await Self.with { network, info, transport in
            let proxy = try #require(URL(string: info.proxy ?? ""))
            let port = try #require(proxy.port)
            let plcHost = try #require(URL(string: info.plc)?.host)

            #expect(try await RawProxy.statusLine(port: port, "CONNECT \(plcHost):8443 HTTP/1.1").contains(" 403 "))
            #expect(try await RawProxy.statusLine(port: port, "CONNECT example.com:443 HTTP/1.1").contains(" 403 "))
            #expect(
                try await RawProxy.statusLine(port: port, "CONNECT elsewhere.\(DevHostNames.domain):443 HTTP/1.1")
                    .contains(" 403 "))
            #expect(try await RawProxy.statusLine(port: port, "CONNECT 127.0.0.1:443 HTTP/1.1").contains(" 403 "))
            #expect(try await RawProxy.statusLine(port: port, "GET http://\(plcHost)/ HTTP/1.1").contains(" 405 "))
            #expect(try await RawProxy.statusLine(port: port, "CONNECT \(plcHost):443 HTTP/1.1").contains(" 200 "))

            // Through the client: the same refusals are transport errors.
            await #expect(throws: (any Error).self) {
                _ = try await Self.get(transport, "https://\(plcHost):8443/_health")
            }
            await #expect(throws: (any Error).self) {
                _ = try await Self.get(transport, "https://nobody.\(DevHostNames.domain)/.well-known/atproto-did")
            }
            #expect(await network.requestLog().isEmpty, "no refused request reached a listener")
        }
    }
}

/// One request line sent straight to the proxy, to read its raw answer (the HTTP client
/// only reports a refused CONNECT as an error).
enum RawProxy {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The status line the proxy answers `requestLine` with.
    static func statusLine(port: Int, _ requestLine: String) async throws -> String {
        // A plain thread, not the cooperative pool: blocking reads there could starve the
        // proxy's callers on a small machine.
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try statusLineBlocking(port: port, requestLine) })
            }
            thread.start()
        }
    }

    private static func statusLineBlocking(port: Int, _ requestLine: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw Failure(description: "connect to the proxy failed") }
        let target = requestLine.split(separator: " ").dropFirst().first.map(String.init) ?? ""
        let host = target.hasPrefix("http://") ? URL(string: target)?.host ?? "" : target
        let request = Data("\(requestLine)\r\nHost: \(host)\r\n\r\n".utf8)
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == request.count else { throw Failure(description: "short write") }
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !received.contains(Data("\r\n".utf8)) {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            received.append(contentsOf: buffer[0..<count])
        }
        let text = String(decoding: received, as: UTF8.self)
        guard let line = text.components(separatedBy: "\r\n").first, line.hasPrefix("HTTP/") else {
            throw Failure(description: "no status line from the proxy: \(text)")
        }
        return line
    }
}
