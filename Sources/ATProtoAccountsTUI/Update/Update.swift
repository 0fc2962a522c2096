import ATProtoOAuth
import Foundation

/// The whole behaviour of the TUI: the next model and the work to start. Pure: no clock, no I/O.
public func update(_ model: Model, _ event: Event) -> (Model, [Effect]) {
    var next = model
    let effects: [Effect]
    switch event {
    case .key(let key):
        effects = next.handle(key)
    case .tick(let date):
        next.now = date
        effects = []
    case .resized(let rows, let cols):
        next.rows = rows
        next.cols = cols
        next.clampDocumentScroll()
        effects = []
    case .accountsLoaded(let accounts, let problems):
        next.applyLoaded(accounts, problems)
        effects = []
    case .storeChanged:
        // The selection follows its DID through the reload (applyLoaded).
        effects = [.loadAccounts]
    case .discovery(let progress):
        next.apply(progress)
        effects = []
    case .login(let progress):
        effects = next.apply(progress)
    case .refreshFinished(let did, let result):
        next.refreshing.remove(did)
        switch result {
        case .success(let account):
            next.upsert(account)
            next.status = "Refreshed \(account.label)"
        case .failure(let error):
            next.banner = Banner(error)
        }
        effects = []
    case .logoutFinished(let did, let error):
        if let error {
            next.banner = Banner(error)
            effects = []
        } else {
            let label = next.accounts.first { $0.did == did }?.label ?? did
            next.accounts.removeAll { $0.did == did }
            next.clampSelection()
            next.status = "Logged out \(label)"
            effects = [.loadAccounts]
        }
    case .defaultSet(let did, let error):
        if let error {
            next.banner = Banner(error)
            effects = []
        } else {
            for index in next.accounts.indices { next.accounts[index].isDefault = next.accounts[index].did == did }
            let label = next.accounts.first { $0.did == did }?.label ?? did
            next.status = "\(label) is now the default account"
            effects = [.loadAccounts]
        }
    }
    return (next, effects)
}

extension Model {
    mutating func applyLoaded(_ loaded: [AccountSummary], _ loadedProblems: [StoreProblemSummary]) {
        let selectedDID = selectedAccount?.did
        accounts = loaded
        problems = loadedProblems
        hasLoaded = true
        if let selectedDID, let index = visibleAccounts.firstIndex(where: { $0.did == selectedDID }) {
            selection = index
        }
        clampSelection()
    }

    /// Replaces the account with the same DID or appends it.
    mutating func upsert(_ account: AccountSummary) {
        if let index = accounts.firstIndex(where: { $0.did == account.did }) {
            accounts[index] = account
        } else {
            accounts.append(account)
        }
        if account.isDefault {
            for index in accounts.indices where accounts[index].did != account.did { accounts[index].isDefault = false }
        }
    }

    mutating func clampSelection() {
        let count = visibleAccounts.count
        selection = count == 0 ? 0 : min(max(selection, 0), count - 1)
    }

    mutating func apply(_ progress: DiscoveryProgress) {
        guard discovery.isRunning else { return }  // a cancelled run's stragglers
        switch progress {
        case .step(let step):
            discovery.steps.upsert(step)
        case .checks(let checks):
            discovery.checks.append(contentsOf: checks)
        case .finished(.success(let summary)):
            discovery.isRunning = false
            discovery.summary = summary
        case .finished(.failure(let error)):
            discovery.isRunning = false
            discovery.error = error
            banner = Banner(error)
        }
    }

    mutating func apply(_ progress: LoginProgress) -> [Effect] {
        guard login.isRunning else { return [] }  // a cancelled login's stragglers
        switch progress {
        case .step(let step):
            login.steps.upsert(step)
        case .listening(let address):
            login.listenAddress = address
        case .authorizationURL(let url):
            login.authorizationURL = url
        case .finished(.success(let account)):
            login.isRunning = false
            upsert(account)
            filter = ""
            if let index = visibleAccounts.firstIndex(where: { $0.did == account.did }) { selection = index }
            if screen == .login { screen = .accounts }
            if returnScreen == .login { returnScreen = .accounts }
            banner = nil
            status = "Logged in as \(account.label)"
            return [.loadAccounts]
        case .finished(.failure(let error)):
            login.isRunning = false
            login.error = error
            banner = Banner(error)
        }
        return []
    }
}
