import Foundation

extension Model {
    /// Routes a key: global keys first, then the prompt, the confirmation, then the page.
    mutating func handle(_ key: Key) -> [Effect] {
        if key == .ctrlC { return [.quit] }
        if key == .resize { return [] }
        if prompt != nil { return handlePrompt(key) }
        if let confirm { return answer(confirm, with: key) }
        status = nil
        switch screen {
        case .accounts: return handleAccounts(key)
        case .discovery: return handleDiscovery(key)
        case .login: return handleLogin(key)
        case .help: return handleHelp(key)
        }
    }

    private mutating func answer(_ confirmation: Confirmation, with key: Key) -> [Effect] {
        confirm = nil
        switch confirmation {
        case .logout(let did, let label):
            if key == .char("y") || key == .char("Y") {
                status = "Logging out \(label)…"
                return [.logout(did)]
            }
            status = "Logout cancelled"
            return []
        }
    }

    /// How many rows of the table fit, for PgUp/PgDn.
    var pageSize: Int { max(1, Layout.accountsListHeight(rows: rows, hasBanner: banner != nil)) }

    private mutating func handleAccounts(_ key: Key) -> [Effect] {
        let count = visibleAccounts.count
        switch key {
        case .char("j"), .down: selection = min(selection + 1, max(count - 1, 0))
        case .char("k"), .up: selection = max(selection - 1, 0)
        case .char("g"), .home: selection = 0
        case .char("G"), .end: selection = max(count - 1, 0)
        case .pageDown: selection = min(selection + pageSize, max(count - 1, 0))
        case .pageUp: selection = max(selection - pageSize, 0)
        case .char("q"): return [.quit]
        case .char("?"): openHelp()
        case .escape:
            if banner != nil {
                banner = nil
            } else if !filter.isEmpty {
                filter = ""
                clampSelection()
            }
        case .char("a"): openAddPrompt()
        case .char("/"): prompt = Prompt(purpose: .filter, text: filter)
        case .char("d"): openDiscoveryPrompt(prefill: selectedAccount?.label)
        case .char("R"): return refreshAll()
        case .char("L"), .char("r"), .char("x"), .char("s"), .char("y"), .char("Y"), .enter:
            guard let account = selectedAccount else {
                status = "No account selected — press a to add one"
                return []
            }
            return act(on: account, key: key)
        default: break
        }
        return []
    }

    /// The keys that act on the selected account.
    private mutating func act(on account: AccountSummary, key: Key) -> [Effect] {
        switch key {
        case .char("L"): return startLogin(account.label, reuse: account.did)
        case .char("r"): return refresh(account)
        case .char("x"):
            confirm = .logout(did: account.did, label: account.label)
            return []
        case .char("s"):
            if account.isDefault {
                status = "\(account.label) is already the default account"
                return []
            }
            return [.setDefault(account.did)]
        case .char("y"):
            status = "Copied DID \(account.did)"
            return [.copyToClipboard(account.did)]
        case .char("Y"):
            guard let handle = account.handle else {
                status = "\(account.did) has no handle — y copies its DID"
                return []
            }
            status = "Copied handle \(handle)"
            return [.copyToClipboard(handle)]
        case .enter:
            // Enter does the obvious fix for the row: log in again, or refresh.
            switch account.state(at: now) {
            case .needsLogin: return startLogin(account.label, reuse: account.did)
            case .expired where !account.hasRefreshToken: return startLogin(account.label, reuse: account.did)
            case .expired, .expiring: return refresh(account)
            case .ok:
                status = "\(account.label) is fine — r refreshes, L logs in again"
                return []
            }
        default: return []
        }
    }

    private mutating func refresh(_ account: AccountSummary) -> [Effect] {
        guard account.hasRefreshToken, !account.needsLogin else {
            banner = Banner(
                message: "\(account.label) has no usable refresh token", hint: "press L to log in again")
            return []
        }
        guard !refreshing.contains(account.did) else { return [] }
        refreshing.insert(account.did)
        return [.refresh(account.did)]
    }

    private mutating func refreshAll() -> [Effect] {
        let refreshable = accounts.filter { $0.hasRefreshToken && !$0.needsLogin }
        guard !refreshable.isEmpty else {
            status = "Nothing to refresh"
            return []
        }
        refreshing.formUnion(refreshable.map(\.did))
        status = "Refreshing \(refreshable.count) account\(refreshable.count == 1 ? "" : "s")…"
        return [.refreshAll(refreshable.map(\.did))]
    }

    mutating func openHelp() {
        returnScreen = screen
        screen = .help
    }

    private mutating func openAddPrompt() {
        let known = Set(accounts.compactMap(\.handle))
        let index = suggestedHandles.firstIndex { !known.contains($0) }
        prompt = Prompt(
            purpose: .addAccount, text: index.map { suggestedHandles[$0] } ?? "", pristine: index != nil,
            suggestionIndex: index)
    }

    mutating func openDiscoveryPrompt(prefill: String?) {
        if discovery.isRunning {
            discovery.isRunning = false
        }
        let text = prefill ?? suggestedHandles.first ?? ""
        prompt = Prompt(purpose: .discover, text: text, pristine: !text.isEmpty)
        screen = .discovery
    }

    mutating func startLogin(_ input: String, reuse: String?) -> [Effect] {
        var effects: [Effect] = []
        if login.isRunning { effects.append(.cancelLogin) }
        login = LoginState()
        login.input = input
        login.reuseDID = reuse
        login.isRunning = true
        banner = nil
        screen = .login
        effects.append(.login(input, reuse: reuse))
        return effects
    }

    private mutating func handleHelp(_ key: Key) -> [Effect] {
        switch key {
        case .char("q"): return [.quit]
        case .escape, .char("?"), .enter, .backspace: screen = returnScreen
        default: break
        }
        return []
    }
}
