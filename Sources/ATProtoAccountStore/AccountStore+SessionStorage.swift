import ATProtoOAuth

/// The store is where `SessionAgent` loads, locks and saves sessions.
extension AccountStore: SessionStorage {}
