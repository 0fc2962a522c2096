import ATProtoOAuth

extension OAuthClient {
    /// Whether ``store`` reports changes (it conforms to `ObservableSessionStore`, as the file
    /// store does): when false, ``storeChanges()`` returns `nil`.
    public var observesStoreChanges: Bool { store is any ObservableSessionStore }

    /// A stream that yields whenever the stored sessions or the default account may have
    /// changed — by this client, another client, or another process (another terminal's
    /// `login`, `logout` or `refresh`). Re-read with ``list()`` on each element: it carries no
    /// detail, and bursts of writes are coalesced.
    ///
    /// `nil` when the store cannot report changes (it is not an `ObservableSessionStore`): a
    /// program showing accounts then only sees other processes' changes when it reloads.
    ///
    /// ```swift
    /// if let changes = client.storeChanges() {
    ///     for await _ in changes { show(try await client.list()) }
    /// }
    /// ```
    ///
    /// Each call returns an independent stream; stop iterating (or cancel the task) to
    /// release its watch.
    public func storeChanges() -> AsyncStream<Void>? {
        (store as? any ObservableSessionStore)?.changes()
    }
}
