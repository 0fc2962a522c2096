import ATProtoOAuth
import Foundation

extension Model {
    mutating func handleDiscovery(_ key: Key) -> [Effect] {
        if discovery.document != nil { return handleDocument(key) }
        let last = max(discovery.itemCount - 1, 0)
        switch key {
        case .char("j"), .down: discovery.selection = min(discovery.selection + 1, last)
        case .char("k"), .up: discovery.selection = max(discovery.selection - 1, 0)
        case .char("g"), .home: discovery.selection = 0
        case .char("G"), .end: discovery.selection = last
        case .pageDown: discovery.selection = min(discovery.selection + Layout.bodyHeight(rows: rows), last)
        case .pageUp: discovery.selection = max(discovery.selection - Layout.bodyHeight(rows: rows), 0)
        case .enter: openDocument()
        case .char("d"):
            let effects: [Effect] = discovery.isRunning ? [.cancelDiscovery] : []
            openDiscoveryPrompt(prefill: discovery.input.isEmpty ? nil : discovery.input)
            return effects
        case .char("?"): openHelp()
        case .char("q"): return [.quit]
        case .escape:
            if banner != nil {
                banner = nil
                return []
            }
            screen = .accounts
            if discovery.isRunning {
                discovery.isRunning = false
                return [.cancelDiscovery]
            }
        default: break
        }
        return []
    }

    private mutating func openDocument() {
        guard discovery.steps.indices.contains(discovery.selection) else {
            status = "Profile checks have no document — select a step"
            return
        }
        let step = discovery.steps[discovery.selection]
        guard let document = step.document else {
            status = "\(step.name) has no document"
            return
        }
        let title = step.target.map { "\(step.name) · \($0)" } ?? step.name
        discovery.document = DocumentView(
            title: title,
            lines: document.prettyPrinted().split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
    }

    /// How far a document can scroll: its last page starts here.
    private var maxDocumentScroll: Int {
        max((discovery.document?.lines.count ?? 0) - Layout.documentHeight(rows: rows), 0)
    }

    mutating func clampDocumentScroll() {
        guard var document = discovery.document else { return }
        document.scroll = min(max(document.scroll, 0), maxDocumentScroll)
        discovery.document = document
    }

    private mutating func handleDocument(_ key: Key) -> [Effect] {
        guard var document = discovery.document else { return [] }
        let page = Layout.documentHeight(rows: rows)
        switch key {
        case .char("j"), .down: document.scroll += 1
        case .char("k"), .up: document.scroll -= 1
        case .pageDown, .char(" "): document.scroll += page
        case .pageUp: document.scroll -= page
        case .char("g"), .home: document.scroll = 0
        case .char("G"), .end: document.scroll = maxDocumentScroll
        case .char("y"):
            status = "Copied the document to the clipboard"
            return [.copyToClipboard(document.lines.joined(separator: "\n"))]
        case .char("q"): return [.quit]
        case .char("?"):
            openHelp()
            return []
        case .escape, .enter, .backspace:
            discovery.document = nil
            return []
        default: break
        }
        discovery.document = document
        clampDocumentScroll()
        return []
    }

    mutating func handleLogin(_ key: Key) -> [Effect] {
        switch key {
        case .char("o"):
            guard let url = login.authorizationURL else { return [] }
            status = "Opened the authorization URL in the browser"
            return [.openURL(url)]
        case .char("y"):
            guard let url = login.authorizationURL else { return [] }
            status = "Copied the authorization URL to the clipboard"
            return [.copyToClipboard(url.absoluteString)]
        case .char("L"):
            // Try again after a failure, with the same input.
            guard !login.isRunning, !login.input.isEmpty else { return [] }
            return startLogin(login.input, reuse: login.reuseDID)
        case .char("?"): openHelp()
        case .char("q"): return [.quit]
        case .escape:
            screen = .accounts
            banner = nil
            if login.isRunning {
                login.isRunning = false
                status = "Login cancelled"
                return [.cancelLogin]
            }
        default: break
        }
        return []
    }
}
