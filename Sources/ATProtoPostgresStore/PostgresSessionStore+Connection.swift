import ATProtoOAuth
import Foundation
import Logging
import PostgresNIO

/// The connection a `withLock` body runs on, carried to the `load`/`save` calls it makes.
struct HeldLock: Sendable {
    let store: ObjectIdentifier
    let did: DID
    let connection: PostgresConnection
}

enum LockContext {
    /// The locks the current task holds, innermost last.
    @TaskLocal static var held: [HeldLock] = []
}

extension PostgresSessionStore {
    /// Runs `body` on the connection of the lock this task holds in this store, else on a
    /// pooled connection leased for it — waiting at most the connect timeout for one.
    func withConnection<T: Sendable>(
        doing: String, did: DID?, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let me = ObjectIdentifier(self)
        if let held = LockContext.held.last(where: { $0.store == me }) {
            return try await body(held.connection)
        }
        return try await leased(doing: doing, did: did, body)
    }

    /// Leases a pooled connection for `body`. A database that is down makes the pool retry
    /// connecting; the lease is given up after the connect timeout (plus a margin for TLS and
    /// authentication) with `.unavailable`, keeping the last connection error as the cause.
    func leased<T: Sendable>(
        doing: String, did: DID?, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let gotConnection = Locked(false)
        let wait = configuration.connectTimeout + .seconds(1)
        let target = configuration.description
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await self.client.withConnection { connection in
                        gotConnection.value = true
                        return try await body(connection)
                    }
                }
                group.addTask {
                    try await Task.sleep(for: wait)
                    guard gotConnection.value else {
                        throw PostgresStoreError(
                            .unavailable, did: did?.rawValue,
                            "\(doing) failed: no connection to \(target) within \(wait) (is the database up?)")
                    }
                    return nil
                }
                while let next = try await group.next() {
                    if let value = next {
                        group.cancelAll()
                        return value
                    }
                }
                throw PostgresStoreError(.unavailable, did: did?.rawValue, "\(doing) failed: no connection")
            }
        } catch {
            throw PostgresStoreError.wrap(error, doing: doing, target: target, did: did)
        }
    }

    /// Sends one statement on `connection` and reads all its rows, within `timeout` (default: the
    /// query timeout). Past it the connection is closed — which makes the server drop whatever
    /// that connection held — and `.timeout` is thrown, whether or not the driver ever answers
    /// (a statement written to a channel that has just closed is never failed by PostgresNIO).
    @discardableResult
    func query(
        _ connection: PostgresConnection, _ statement: PostgresQuery, doing: String, did: DID?,
        timeout: Duration? = nil
    ) async throws -> [PostgresRow] {
        counter.withLock { $0 += 1 }
        let limit = timeout ?? configuration.queryTimeout
        let target = configuration.description
        guard !connection.isClosed else {
            throw PostgresStoreError(
                .unavailable, did: did?.rawValue, "\(doing) failed: \(target): the connection was closed")
        }
        let logger = self.logger
        let rows = try await Deadline.run(limit, onTimeout: { connection.closeNow() }) {
            do {
                var rows: [PostgresRow] = []
                for try await row in try await connection.query(statement, logger: logger) { rows.append(row) }
                return rows
            } catch {
                throw PostgresStoreError.wrap(error, doing: doing, target: target, did: did)
            }
        }
        guard let rows else {
            throw PostgresStoreError(
                .timeout, did: did?.rawValue, "\(doing): \(target) did not answer within \(limit)")
        }
        return rows
    }
}

/// Runs work with a deadline that holds even when the work never returns.
enum Deadline {
    /// The work's result, or `nil` when `limit` passed first (after calling `onTimeout`). The
    /// work runs in its own task, so a driver call that never completes cannot hold the caller.
    static func run<T: Sendable>(
        _ limit: Duration, onTimeout: @escaping @Sendable () -> Void,
        _ work: @escaping @Sendable () async throws -> T
    ) async throws -> T? {
        let waiting = Locked<CheckedContinuation<T?, any Error>?>(nil)
        let timer = Locked<Task<Void, Never>?>(nil)
        return try await withCheckedThrowingContinuation { continuation in
            waiting.value = continuation
            let worker = Task {
                let outcome: Result<T?, any Error>
                do {
                    outcome = .success(try await work())
                } catch {
                    outcome = .failure(error)
                }
                timer.value?.cancel()
                waiting.withLock { pending in
                    pending?.resume(with: outcome)
                    pending = nil
                }
            }
            timer.value = Task {
                try? await Task.sleep(for: limit)
                guard !Task.isCancelled else { return }
                let expired = waiting.withLock { pending -> Bool in
                    guard let continuation = pending else { return false }
                    pending = nil
                    continuation.resume(returning: nil)
                    return true
                }
                if expired {
                    onTimeout()
                    worker.cancel()
                }
            }
        }
    }
}

/// A value behind a lock, for the little shared state the store keeps.
final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }

    func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.withLock { body(&stored) }
    }
}

extension PostgresConnection {
    /// Closes the channel without waiting: in-flight statements fail at once, and the server
    /// ends the session, releasing every lock it held.
    func closeNow() {
        let _: EventLoopFuture<Void> = close()
    }
}
