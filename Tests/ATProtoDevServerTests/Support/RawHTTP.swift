import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A minimal HTTP/1.1 client over a plain socket, for the one thing the real transport
/// rightly refuses: reading a 3xx (the authorization redirect carrying `code`).
enum RawHTTP {
    struct Response: Sendable {
        let status: Int
        let headers: [String: String]
        let body: String

        var location: String? { headers["location"] }

        /// The redirect's query items.
        var locationQuery: [String: String] {
            guard let location, let components = URLComponents(string: location) else { return [:] }
            var items: [String: String] = [:]
            for item in components.queryItems ?? [] { items[item.name] = item.value ?? "" }
            return items
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func send(
        _ method: String, _ url: URL, headers: [(String, String)] = [], body: Data = Data()
    ) async throws -> Response {
        // A plain thread, not the cooperative pool: blocking reads there would starve the
        // very server being called when the machine has few cores.
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try sendBlocking(method, url, headers: headers, body: body) })
            }
            thread.start()
        }
    }

    private static func sendBlocking(
        _ method: String, _ url: URL, headers: [(String, String)], body: Data
    ) throws -> Response {
        guard let port = url.port else { throw Failure(description: "URL without port") }
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
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
        guard connected == 0 else { throw Failure(description: "connect failed") }
        var target = url.path(percentEncoded: true)
        if target.isEmpty { target = "/" }
        if let query = url.query(percentEncoded: true) { target += "?" + query }
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        let request = Data(head.utf8) + body
        let sent = request.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == request.count else { throw Failure(description: "short write") }
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            received.append(contentsOf: buffer[0..<count])
            if let response = parse(received) { return response }
        }
        guard let response = parse(received, complete: true) else {
            throw Failure(description: "no complete response")
        }
        return response
    }

    private static func parse(_ data: Data, complete: Bool = false) -> Response? {
        let text = String(decoding: data, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { return nil }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        guard let statusLine = lines.first, let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        let body = String(text[split.upperBound...])
        if let length = headers["content-length"].flatMap(Int.init) {
            guard body.utf8.count >= length else { return nil }
        } else if !complete {
            return nil
        }
        return Response(status: status, headers: headers, body: body)
    }
}
