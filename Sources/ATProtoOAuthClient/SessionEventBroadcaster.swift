import ATProtoOAuth
import Foundation

/// Fans session events out to every live ``OAuthClient/events()`` stream. A stream that is
/// dropped unregisters itself; a slow reader keeps only the newest 256 events, never an
/// unbounded backlog.
final class SessionEventBroadcaster: @unchecked Sendable {
    private let lock = NSLock()
    private var subscribers: [UInt64: AsyncStream<SessionEvent>.Continuation] = [:]  // guarded by lock
    private var nextID: UInt64 = 0  // guarded by lock

    func stream() -> AsyncStream<SessionEvent> {
        AsyncStream(bufferingPolicy: .bufferingNewest(256)) { continuation in
            let id = lock.withLock {
                nextID += 1
                subscribers[nextID] = continuation
                return nextID
            }
            continuation.onTermination = { [weak self] _ in self?.remove(id) }
        }
    }

    func publish(_ event: SessionEvent) {
        for continuation in lock.withLock({ Array(subscribers.values) }) { continuation.yield(event) }
    }

    private func remove(_ id: UInt64) {
        _ = lock.withLock { subscribers.removeValue(forKey: id) }
    }

    deinit {
        for continuation in subscribers.values { continuation.finish() }
    }
}
