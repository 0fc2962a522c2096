import Foundation

/// Draws the model. Pure: the same model on the same screen size gives the same frame.
public func view(_ model: Model, into screen: inout some Screen) {
    screen.clear()
    guard screen.rows >= 3, screen.cols >= 10 else {
        screen.put(DisplayWidth.truncate("terminal too small", to: screen.cols), row: 0, col: 0, style: .bold)
        return
    }
    var canvas = Canvas(screen: screen, model: model)
    canvas.drawTitle()
    canvas.drawBanner()
    switch model.screen {
    case .accounts: canvas.drawAccounts()
    case .discovery:
        if let document = model.discovery.document {
            canvas.drawDocument(document)
        } else {
            canvas.drawDiscovery()
        }
    case .login: canvas.drawLogin()
    case .help: canvas.drawHelp()
    }
    canvas.drawStatusLine()
    canvas.drawFooter()
    screen = canvas.screen
}

/// The screen plus the model, with helpers that truncate to the width.
struct Canvas<S: Screen> {
    var screen: S
    let model: Model

    var rows: Int { screen.rows }
    var cols: Int { screen.cols }
    var bodyTop: Int { Layout.bodyTop(hasBanner: model.banner != nil) }
    /// The first row below the body: the status line.
    var statusRow: Int { rows - 2 }

    /// Writes `text` cut to the space left in the row.
    mutating func text(_ text: String, row: Int, col: Int = 0, style: Style = .plain) {
        guard row >= 0, row < rows, col < cols else { return }
        screen.put(DisplayWidth.truncate(text, to: cols - col), row: row, col: col, style: style)
    }

    /// Writes `left` and `right` on one row, the whole row in `style` (for bars).
    mutating func bar(left: String, right: String, row: Int, style: Style) {
        let rightWidth = DisplayWidth.of(right)
        let leftWidth = max(cols - rightWidth - 1, cols / 2)
        let line = DisplayWidth.pad(left, to: leftWidth) + " " + right
        screen.put(DisplayWidth.pad(line, to: cols), row: row, col: 0, style: style)
    }

    mutating func drawTitle() {
        let page: String
        switch model.screen {
        case .accounts:
            page = model.hasLoaded ? "Accounts (\(model.accounts.count))" : "Accounts"
        case .discovery: page = "Discovery inspector"
        case .login: page = "Log in"
        case .help: page = "Help"
        }
        bar(left: " atproto-oauth › \(page)", right: "? help  q quit ", row: 0, style: [.reverse, .bold])
    }

    mutating func drawBanner() {
        guard let banner = model.banner else { return }
        text("✗ \(banner.message)", row: 1, col: 1, style: [.error, .bold])
        text("→ \(banner.hint)   (Esc dismisses)", row: 2, col: 3, style: .error)
    }

    mutating func drawStatusLine() {
        if let prompt = model.prompt {
            let label: String
            switch prompt.purpose {
            case .addAccount: label = "Log in as (handle, DID or URL): "
            case .discover: label = "Inspect (handle, DID or URL): "
            case .filter: label = "Filter: "
            }
            text(label, row: statusRow, style: [.accent, .bold])
            let start = DisplayWidth.of(label)
            // Keep the end of long input (and the cursor) visible.
            let room = max(cols - start - 1, 1)
            var shown = prompt.text
            while DisplayWidth.of(shown) > room, !shown.isEmpty { shown.removeFirst() }
            text(shown, row: statusRow, col: start, style: prompt.pristine ? .dim : .plain)
            text(" ", row: statusRow, col: start + DisplayWidth.of(shown), style: .reverse)
        } else if case .logout(_, let label) = model.confirm {
            text(
                "Log out \(label)? This revokes its tokens.  y = yes, any other key = no", row: statusRow,
                style: [.warn, .bold])
        } else if let status = model.status {
            text(status, row: statusRow, col: 1, style: .accent)
        } else if model.screen == .accounts, !model.filter.isEmpty {
            let shown = model.visibleAccounts.count
            text(
                "Filter “\(model.filter)”: \(shown) of \(model.accounts.count)  (Esc clears)", row: statusRow, col: 1,
                style: .accent)
        }
    }

    mutating func drawFooter() {
        let hints: String
        if let prompt = model.prompt {
            hints =
                prompt.purpose == .filter
                ? "type to filter · Enter keep · Esc clear"
                : "Enter go · ↑/↓ suggestions · Esc cancel"
        } else {
            switch model.screen {
            case .accounts where model.accounts.isEmpty:
                hints = "a add · d discover · ? help · q quit"
            case .accounts:
                hints = "a add · L re-login · r/R refresh · x logout · s default · d discover · / filter"
            case .discovery:
                hints =
                    model.discovery.document == nil
                    ? "j/k select · Enter document · d new lookup · Esc back"
                    : "j/k scroll · PgUp/PgDn · g/G · y copy · Esc close"
            case .login:
                hints = "o open URL again · y copy URL · Esc cancel"
            case .help:
                hints = "Esc back · q quit"
            }
        }
        text(" " + hints, row: rows - 1, style: .dim)
    }
}
