import ATProtoOAuth
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension AccountStore {
    /// Runs `body` while holding the account's exclusive lock, so that no other task of this
    /// process and no other process using the same store runs a critical section for `did` at
    /// the same time (R24: refresh tokens are single-use; two refreshes with the same token get
    /// the whole session revoked). Inside, re-`load` the session: another holder may have just
    /// refreshed it.
    ///
    ///     let fresh = try await store.withLock(did) {
    ///         let session = try store.load(did)        // re-read inside the lock
    ///         …refresh…; try store.save(next); return next
    ///     }
    ///
    /// The lock is `flock(LOCK_EX)` on `locks/<did>.lock`. Each call opens its own descriptor,
    /// so tasks of one process exclude each other exactly like processes do; the kernel drops
    /// the lock when its holder dies, even by `kill -9`, so a crash never leaves it stuck.
    ///
    /// Waiting never blocks a Swift-concurrency thread: the lock is tried with `LOCK_NB` and the
    /// task sleeps 5 ms, doubling to 20 ms, between attempts. Cancellation while waiting throws
    /// `CancellationError`; waiting longer than `timeout` throws `.lockTimeout`. The lock is
    /// released on every path out of `body`, including errors and cancellation.
    ///
    /// Before `body` runs, saves of this account interrupted by a crash are finished or discarded
    /// (`recoverInterruptedSaves`): a complete, newer session a killed writer left in a temporary
    /// file is renamed into place, so `body`'s `load` never returns a spent refresh token (R24).
    public func withLock<T: Sendable>(
        _ did: DID, timeout: Duration = .seconds(30), _ body: @Sendable () async throws -> T
    ) async throws -> T {
        let lock = try await AccountLock.acquire(place(lock: did), timeout: timeout)
        defer { lock.release() }
        recoverInterruptedSaves(of: did)
        return try await body()
    }
}

/// One held `flock` on an open lock file. `withLock` releases it exactly once, in a `defer`.
struct AccountLock {
    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    static func acquire(_ place: PrivateFiles.Place, timeout: Duration) async throws -> AccountLock {
        let descriptor = open(place.path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw PrivateFiles.errnoError("open", place, errno: errno) }
        var held = false
        defer { if !held { close(descriptor) } }

        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var pause = Duration.milliseconds(5)
        while true {
            try Task.checkCancellation()
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
                held = true
                return AccountLock(descriptor: descriptor)
            }
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR else {
                throw PrivateFiles.errnoError("flock", place, errno: code)
            }
            guard clock.now < deadline else {
                throw AccountStoreError(
                    .lockTimeout, path: place.display,
                    "another atproto-oauth process (or task) held this account's lock for over \(timeout); "
                        + "try again, or find it with: fuser \(place.path)")
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(20))
        }
    }

    /// Unlocks and closes. Closing alone would unlock too; the explicit `LOCK_UN` documents it.
    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
