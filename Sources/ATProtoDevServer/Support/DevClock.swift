import ATProtoOAuth
import Foundation

/// The dev network's time source: every lifetime it enforces (nonces, codes, tokens, DPoP
/// `iat` windows) is measured against it.
///
/// Tests that exercise expiry inject a ``DevClock/manual(start:)`` clock and advance it,
/// instead of sleeping past a deadline: a sleep-based test passes or fails with the
/// machine's load, an advanced clock cannot.
///
/// ```swift
/// let clock = DevClock.manual()
/// let network = DevNetwork(configuration: .init(nonceLifetime: .seconds(1), clock: clock))
/// clock.advance(by: .seconds(2))  // every nonce is now one rotation older
/// ```
public final class DevClock: Sendable {
    private let state: LockedValue<Date>?

    private init(state: LockedValue<Date>?) { self.state = state }

    /// The wall clock.
    public static let system = DevClock(state: nil)

    /// A clock that stands still until ``advance(by:)`` moves it.
    public static func manual(start: Date = Date()) -> DevClock { DevClock(state: LockedValue(start)) }

    /// The current time.
    public func now() -> Date { state?.current ?? Date() }

    /// Moves a manual clock forward; the system clock cannot be moved and ignores this.
    public func advance(by duration: Duration) {
        state?.withLock { $0 = $0.addingTimeInterval(duration.timeInterval) }
    }
}
