import ATProtoOAuth
import CATProtoResolv
import Dispatch
import Foundation

/// The real ``TXTResolver``: glibc's `res_nquery` through `CATProtoResolv`, for handle resolution
/// (R3: `_atproto.<handle>` TXT `did=…`).
///
/// `res_nquery` blocks, so every look-up runs on a dedicated dispatch queue rather than
/// on the Swift cooperative pool (whose few threads must never block). Each call gets its
/// own `res_state`, which makes concurrent look-ups safe without a lock.
///
/// ```swift
/// let resolver = try ResolvTXTResolver(nameserver: "127.0.0.1:5353")
/// let values = try await resolver.txtRecords(for: "_atproto.alice.test")  // ["did=did:plc:…"]
/// ```
public struct ResolvTXTResolver: TXTResolver {
    /// The pinned nameserver as `IPv4:PORT`, or `nil` for the system's (`/etc/resolv.conf`).
    public let nameserver: String?
    /// The limit for one look-up, all tries included.
    public let timeout: Duration

    private let pinned: (host: String, port: UInt16)?

    private static let queue = DispatchQueue(
        label: "ATProtoHTTP.ResolvTXTResolver", qos: .userInitiated, attributes: .concurrent)

    /// - Parameters:
    ///   - nameserver: `HOST[:PORT]` with an IPv4 literal host (default port 53); `nil`
    ///     uses the system configuration.
    ///   - timeout: the limit for one look-up (rounded to whole seconds, at least one).
    /// - Throws: ``ATProtoHTTPError`` `.invalidNameserver` for anything else.
    public init(nameserver: String? = nil, timeout: Duration = .seconds(5)) throws {
        if let nameserver {
            let parsed = try Self.parseNameserver(nameserver)
            pinned = parsed
            self.nameserver = "\(parsed.host):\(parsed.port)"
        } else {
            pinned = nil
            self.nameserver = nil
        }
        self.timeout = timeout
    }

    /// The TXT strings of `name`, each record's character-strings joined.
    /// - Returns: `[]` when the name does not exist (NXDOMAIN) or has no TXT record (NODATA).
    /// - Throws: ``ATProtoHTTPError`` `.dns` naming the name and nameserver for SERVFAIL,
    ///   REFUSED, no answer in time, a malformed answer, or an invalid name.
    public func txtRecords(for name: String) async throws -> [String] {
        let query = Query(name: name, pinned: pinned, timeout: timeout)
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<[String], ATProtoHTTPError>, Never>) in
            Self.queue.async { continuation.resume(returning: query.run()) }
        }
        return try result.get()
    }

    static func parseNameserver(_ value: String) throws(ATProtoHTTPError) -> (host: String, port: UInt16) {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else {
            throw .invalidNameserver(value, reason: "only IPv4 literals are supported")
        }
        let host = String(parts[0])
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4,
            octets.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII) && UInt8($0) != nil })
        else {
            throw .invalidNameserver(value, reason: "\"\(host)\" is not an IPv4 address")
        }
        guard parts.count == 2 else { return (host, 53) }
        guard let port = UInt16(parts[1]), port != 0 else {
            throw .invalidNameserver(value, reason: "\"\(parts[1])\" is not a port between 1 and 65535")
        }
        return (host, port)
    }
}

/// One blocking look-up; runs on the resolver's dispatch queue.
private struct Query: Sendable {
    let name: String
    let pinned: (host: String, port: UInt16)?
    let timeout: Duration

    // From <netdb.h>; spelled out because Swift imports h_errno values inconsistently.
    private static let hostNotFound: Int32 = 1
    private static let noData: Int32 = 4

    private var nameserverDescription: String {
        pinned.map { "\($0.host):\($0.port)" } ?? "the system resolver"
    }

    private func failure(_ reason: String) -> ATProtoHTTPError {
        .dns(nil, name: name, nameserver: nameserverDescription, reason: reason)
    }

    func run() -> Result<[String], ATProtoHTTPError> {
        if let problem = Self.problem(withName: name) { return .failure(failure(problem)) }
        guard let state = cresolv_state_new() else {
            return .failure(failure("cannot initialise the resolver (is /etc/resolv.conf readable?)"))
        }
        defer { cresolv_state_free(state) }
        if let pinned, cresolv_set_nameserver(state, pinned.host, pinned.port) != 0 {
            return .failure(failure("cannot use nameserver \(pinned.host)"))
        }
        let seconds = max(1, Int(timeout.components.seconds))
        let attempts = seconds >= 2 ? 2 : 1
        cresolv_set_timeout(state, Int32(min(seconds / attempts, 30)), Int32(attempts))

        // Zeroed, so an untouched header (QR bit clear) means no answer ever arrived.
        var answer = [UInt8](repeating: 0, count: 65_535)
        let (length, systemError) = answer.withUnsafeMutableBufferPointer { buffer in
            let length = cresolv_query(
                state, name, Int32(DNSMessage.classIN), Int32(DNSMessage.typeTXT),
                buffer.baseAddress, Int32(buffer.count))
            return (length, errno)
        }
        if length < 0 {
            return classifyFailure(answer: answer, resolverError: cresolv_h_errno(state), systemError: systemError)
        }
        do {
            let message = try DNSMessage(parsing: Array(answer.prefix(Int(length))))
            return .success(message.txtRecords)
        } catch {
            return .failure(failure("malformed answer: \(error)"))
        }
    }

    /// `res_nquery` returns -1 for NXDOMAIN and NODATA too; those are "no records", not errors.
    private func classifyFailure(
        answer: [UInt8], resolverError: Int32, systemError: Int32
    ) -> Result<[String], ATProtoHTTPError> {
        if resolverError == Self.hostNotFound || resolverError == Self.noData { return .success([]) }
        let answered = answer.count >= 4 && answer[2] & 0x80 != 0
        guard answered else {
            if systemError == ECONNREFUSED {
                return .failure(failure("nothing answers DNS there (port unreachable)"))
            }
            return .failure(failure("no answer within \(max(1, timeout.components.seconds))s"))
        }
        switch DNSMessage.ResponseCode(rawValue: Int(answer[3] & 0x0F)) {
        case .nameError: return .success([])
        case .noError: return .success([])
        case .serverFailure: return .failure(failure("the server answered SERVFAIL"))
        case .refused: return .failure(failure("the server REFUSED the query"))
        case .formatError: return .failure(failure("the server answered FORMERR"))
        case .notImplemented: return .failure(failure("the server answered NOTIMP"))
        case nil: return .failure(failure("the server answered RCODE \(answer[3] & 0x0F)"))
        }
    }

    /// RFC 1035 §2.3.4 limits, checked here so the message says what is wrong.
    private static func problem(withName name: String) -> String? {
        let trimmed = name.hasSuffix(".") ? String(name.dropLast()) : name
        guard !trimmed.isEmpty else { return "the name is empty" }
        guard trimmed.utf8.count <= 253 else { return "the name is longer than 253 bytes" }
        guard trimmed.allSatisfy({ $0.isASCII && $0 != "\0" }) else {
            return "the name is not ASCII (convert internationalised names to punycode first)"
        }
        for label in trimmed.split(separator: ".", omittingEmptySubsequences: false) {
            guard !label.isEmpty else { return "the name has an empty label" }
            guard label.utf8.count <= 63 else { return "a label is longer than 63 bytes" }
        }
        return nil
    }
}
