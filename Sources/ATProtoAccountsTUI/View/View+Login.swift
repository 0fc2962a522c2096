import Foundation

extension Canvas {
    mutating func drawLogin() {
        let state = model.login
        var lines: [ListLine] = [
            ListLine([
                (state.reuseDID == nil ? "Logging in as " : "Logging in again as ", .plain), (state.input, .bold),
            ]),
            ListLine(""),
        ]
        for step in state.steps {
            // Sub-results are left to the inspector: the login page must keep its URL in view.
            lines += stepLine(
                step, selected: false, item: nil, nameWidth: stepNameWidth(state.steps), withSubresults: false)
        }
        if !state.steps.isEmpty { lines.append(ListLine("")) }
        if let address = state.listenAddress {
            lines.append(ListLine([("Listening   ", .bold), (address, .plain)]))
        }
        if let url = state.authorizationURL {
            let wrapped = DisplayWidth.wrap(url.absoluteString, to: max(cols - 13, 10))
            for (index, part) in wrapped.prefix(3).enumerated() {
                let last = index == 2 && wrapped.count > 3
                lines.append(
                    ListLine([
                        (index == 0 ? "Approve at  " : "            ", .bold),
                        (last ? DisplayWidth.truncate(part + "…", to: cols - 13) : part, .accent),
                    ]))
            }
        }
        if state.listenAddress != nil || state.authorizationURL != nil { lines.append(ListLine("")) }
        if state.isWaitingForApproval {
            lines.append(
                ListLine([
                    ("\(Format.spinner(model.now)) ", .accent),
                    ("Waiting for you to approve in the browser…", [.accent, .bold]),
                ]))
            lines.append(ListLine("  o opens the URL again · y copies it · Esc cancels", .dim))
        } else if state.isRunning {
            lines.append(ListLine([("\(Format.spinner(model.now)) ", .accent), ("Working…", .accent)]))
        } else if let error = state.error {
            lines.append(ListLine([("✗ ", [.error, .bold]), (error.message, .error)]))
            lines.append(ListLine("  → \(error.hint) · L tries again · Esc goes back"))
        }
        // Keep the end (the waiting state) in view when the steps do not all fit.
        let height = statusRow - bodyTop
        let offset = max(lines.count - height, 0)
        for (index, line) in lines.dropFirst(offset).prefix(height).enumerated() {
            segments(line.segments, row: bodyTop + index, col: 1)
        }
    }

    mutating func drawHelp() {
        let entries: [(String, String)] = [
            ("", "Accounts"),
            ("j/k ↑/↓", "move (g/G first/last, PgUp/PgDn)"),
            ("Enter", "fix the selected account (refresh or log in)"),
            ("a", "add: log in a new handle"),
            ("L", "log in again as the selected account"),
            ("r / R", "refresh the selected / every account"),
            ("s", "make the selected account the default"),
            ("x", "log out (y confirms)"),
            ("y / Y", "copy the DID / handle (OSC 52, works over SSH)"),
            ("/", "filter by handle, DID or PDS"),
            ("", "Discovery and login"),
            ("d", "inspect a handle, DID or URL"),
            ("Enter", "show the raw document of a step"),
            ("o / y", "open / copy the authorization URL"),
            ("", "Everywhere"),
            ("Esc", "back, cancel, clear the banner or filter"),
            ("? · q", "this help · quit (also Ctrl-C)"),
        ]
        for (index, entry) in entries.enumerated() where bodyTop + index < statusRow {
            let row = bodyTop + index
            if entry.0.isEmpty {
                text(entry.1, row: row, col: 1, style: [.bold, .accent])
            } else {
                text(DisplayWidth.pad(entry.0, to: 9), row: row, col: 3, style: .bold)
                text(entry.1, row: row, col: 13)
            }
        }
    }
}
