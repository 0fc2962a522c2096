import Foundation

/// Events posted by effect tasks, drained by the run loop's thread.
final class EventInbox: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [Event] = []  // guarded by lock
    /// Ends the run loop's wait, so a result is drawn now rather than at the next tick.
    private let wake: @Sendable () -> Void

    init(wake: @escaping @Sendable () -> Void = {}) {
        self.wake = wake
    }

    func post(_ event: Event) {
        lock.lock()
        events.append(event)
        lock.unlock()
        wake()
    }

    func drain() -> [Event] {
        lock.lock()
        defer { lock.unlock() }
        let drained = events
        events = []
        return drained
    }
}

/// Runs effects as tasks against the service; results come back through the inbox.
///
/// Login and discovery tasks are kept so `cancelLogin`/`cancelDiscovery` (and quitting) can
/// cancel them, which ends the service's stream and closes the loopback listener.
final class EffectExecutor: @unchecked Sendable {
    private let service: any AccountsService
    private let inbox: EventInbox
    private let lock = NSLock()
    private var flows: [String: Task<Void, Never>] = [:]  // guarded by lock
    private var others: [UUID: Task<Void, Never>] = [:]  // guarded by lock
    /// A `loadAccounts` is running; another was asked for meanwhile (guarded by lock).
    private var loading = false
    private var reloadRequested = false

    init(service: any AccountsService, inbox: EventInbox) {
        self.service = service
        self.inbox = inbox
    }

    /// Starts `effect`, which carries everything it needs (the executor never reads the
    /// model). `quit` and `copyToClipboard` touch the terminal and are handled by the run loop.
    func perform(_ effect: Effect) {
        let service = service
        let inbox = inbox
        switch effect {
        case .loadAccounts:
            // One load at a time: two racing loads could post an older listing last. A load
            // asked for while one runs (a burst of store changes) runs once, after it.
            guard beginLoad() else { return }
            spawn { [weak self] in
                repeat {
                    let loaded = await service.loadAccounts()
                    inbox.post(.accountsLoaded(accounts: loaded.accounts, problems: loaded.problems))
                } while self?.endLoad() == true && !Task.isCancelled
            }
        case .discover(let input):
            startFlow("discovery") {
                for await progress in service.discover(input) {
                    if Task.isCancelled { break }
                    inbox.post(.discovery(progress))
                }
            }
        case .cancelDiscovery:
            cancelFlow("discovery")
        case .login(let input, _):
            startFlow("login") {
                for await progress in service.login(input) {
                    if Task.isCancelled { break }
                    inbox.post(.login(progress))
                }
            }
        case .cancelLogin:
            cancelFlow("login")
        case .refresh(let did):
            spawn { inbox.post(.refreshFinished(did: did, result: await service.refresh(did))) }
        case .refreshAll(let dids):
            spawn {
                await service.refreshAll(dids) { did, result in inbox.post(.refreshFinished(did: did, result: result)) }
            }
        case .logout(let did):
            spawn {
                let result = await service.logout(did)
                inbox.post(.logoutFinished(did: did, error: result.failure))
            }
        case .setDefault(let did):
            spawn {
                let result = await service.setDefault(did)
                inbox.post(.defaultSet(did: did, error: result.failure))
            }
        case .openURL(let url):
            spawn { await service.openInBrowser(url) }
        case .copyToClipboard, .quit:
            break
        }
    }

    /// The shortest time between two `storeChanged` events: a burst of writes (a `refresh
    /// --all` in another terminal) reloads a few times a second at most, not once per file.
    static let storeChangeInterval: Duration = .milliseconds(200)

    /// Follows the service's change feed, posting `storeChanged` at most once per
    /// `interval` (a change during the pause is kept by the stream and posted after it, so the
    /// last change is never lost). Does nothing when the service has no feed. Ends with
    /// `cancelAll`.
    func watchStore(interval: Duration = EffectExecutor.storeChangeInterval) {
        guard let changes = service.storeChanges() else { return }
        let inbox = inbox
        startFlow("store-watch") {
            for await _ in changes {
                if Task.isCancelled { break }
                inbox.post(.storeChanged)
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Whether the caller should start a load (none is running); otherwise records that the
    /// running one must load once more.
    private func beginLoad() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if loading {
            reloadRequested = true
            return false
        }
        loading = true
        return true
    }

    /// Whether the running load must go round again (a load was asked for meanwhile).
    private func endLoad() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if reloadRequested {
            reloadRequested = false
            return true
        }
        loading = false
        return false
    }

    func cancelAll() {
        lock.lock()
        let tasks = Array(flows.values) + Array(others.values)
        flows = [:]
        others = [:]
        lock.unlock()
        tasks.forEach { $0.cancel() }
    }

    private func startFlow(_ name: String, _ body: @escaping @Sendable () async -> Void) {
        let task = Task { await body() }
        lock.lock()
        let previous = flows.updateValue(task, forKey: name)
        lock.unlock()
        previous?.cancel()
    }

    private func cancelFlow(_ name: String) {
        lock.lock()
        let task = flows.removeValue(forKey: name)
        lock.unlock()
        task?.cancel()
    }

    private func spawn(_ body: @escaping @Sendable () async -> Void) {
        let id = UUID()
        lock.lock()
        defer { lock.unlock() }
        others[id] = Task { [weak self] in
            await body()
            self?.finished(id)
        }
    }

    private func finished(_ id: UUID) {
        lock.lock()
        others[id] = nil
        lock.unlock()
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
