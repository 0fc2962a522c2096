/// A ``SessionStore`` that can tell when its contents change — also when another process
/// (another terminal's `login`, `logout` or `refresh`) or another program changed them.
///
/// An option of a store, not part of every store: the file store (`AccountStore`) watches its
/// directory with inotify; a store without a feed simply does not conform, and a program
/// showing accounts then only sees changes when it reloads by itself.
///
/// ```swift
/// if let store = store as? any ObservableSessionStore {
///     for await _ in store.changes() {
///         let listing = try await store.list()   // re-read: the feed says only "something changed"
///     }
/// }
/// ```
public protocol ObservableSessionStore: SessionStore {
    /// A stream that yields whenever stored sessions or the default account may have changed.
    ///
    /// An element carries no detail: callers re-read (``SessionStore/list()``). Bursts are
    /// coalesced (one element may stand for several writes, and an element may arrive for a
    /// write that changed nothing), and no change made after the stream was created is missed.
    /// Each call returns an independent stream; the watch it holds is released when the
    /// consumer stops iterating (cancellation, `break`). The stream finishes at once when the
    /// store cannot watch (for example when the system's watch limit is reached).
    func changes() -> AsyncStream<Void>
}
