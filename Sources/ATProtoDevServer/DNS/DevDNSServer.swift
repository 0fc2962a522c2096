import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A UDP DNS responder on 127.0.0.1 that answers TXT queries for a fixed set of names.
///
/// It exists so handle resolution (R3: `_atproto.<handle>` TXT `did=<did>`) can be tested
/// through the real resolver (`--dns-server 127.0.0.1:PORT`) without touching the
/// machine's DNS. Names match case-insensitively; unknown names get NXDOMAIN, malformed
/// queries FORMERR. It runs on its own thread with plain sockets and `poll()` time-outs so
/// `stop()` returns promptly.
///
/// ```swift
/// let dns = try DevDNSServer(records: ["_atproto.alice.test": ["did=did:plc:…"]])
/// defer { dns.stop() }
/// print(dns.port)
/// ```
public final class DevDNSServer: Sendable {
    /// The UDP port on 127.0.0.1 the responder is bound to.
    public let port: UInt16
    private let descriptor: Int32
    private let responder: DNSResponder
    private let stopping = LockedValue(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Binds 127.0.0.1:`port` (0 = an ephemeral port) and starts answering.
    /// - Parameter records: name → TXT strings; each string becomes one TXT record.
    public init(records: [String: [String]], port: UInt16 = 0) throws {
        responder = DNSResponder(records: records)
        let fd = socket(AF_INET, Self.datagram, 0)
        guard fd >= 0 else { throw ATProtoDevServerError(.socket, part: "dns", "socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw ATProtoDevServerError(.socket, part: "dns", "cannot bind 127.0.0.1:\(port) (errno \(code))")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else {
            close(fd)
            throw ATProtoDevServerError(.socket, part: "dns", "getsockname() failed: errno \(errno)")
        }
        descriptor = fd
        self.port = UInt16(bigEndian: actual.sin_port)
        // The thread holds the pieces it needs, not `self`, so an unstopped server is still
        // released (and `deinit` stops the thread).
        let (descriptor, responder, stopping, finished) = (fd, responder, stopping, finished)
        let thread = Thread {
            Self.serve(descriptor: descriptor, responder: responder, stopping: stopping, finished: finished)
        }
        thread.name = "DevDNSServer"
        thread.start()
    }

    #if canImport(Glibc)
        private static let datagram = Int32(SOCK_DGRAM.rawValue)
    #else
        private static let datagram = SOCK_DGRAM
    #endif

    /// Stops answering and closes the socket. Safe to call more than once.
    public func stop() {
        let first = stopping.withLock { stopped -> Bool in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        _ = finished.wait(timeout: .now() + 2)
        close(descriptor)
    }

    deinit { stop() }

    private static func serve(
        descriptor: Int32, responder: DNSResponder, stopping: LockedValue<Bool>, finished: DispatchSemaphore
    ) {
        defer { finished.signal() }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !stopping.current {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 100)
            guard ready > 0 else { continue }
            var peer = sockaddr_storage()
            var peerLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let received = buffer.withUnsafeMutableBytes { raw in
                withUnsafeMutablePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(descriptor, raw.baseAddress, raw.count, 0, $0, &peerLength)
                    }
                }
            }
            guard received > 0, let answer = responder.respond(to: Array(buffer[0..<received])) else { continue }
            _ = answer.withUnsafeBytes { raw in
                withUnsafePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(descriptor, raw.baseAddress, raw.count, 0, $0, peerLength)
                    }
                }
            }
        }
    }
}
