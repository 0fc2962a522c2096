import ATProtoOAuth
import Foundation

extension Canvas {
    mutating func drawAccounts() {
        guard model.hasLoaded else {
            text("Loading accounts…", row: bodyTop + 1, col: 2, style: .dim)
            return
        }
        if model.accounts.isEmpty {
            drawFirstRun()
            return
        }
        let columns = Layout.Columns(cols: cols)
        drawHeader(columns)
        let listTop = bodyTop + 1
        let listHeight = Layout.accountsListHeight(rows: rows, hasBanner: model.banner != nil)
        let visible = model.visibleAccounts
        let problemRows = model.problems.isEmpty ? 0 : min(model.problems.count, max(listHeight - visible.count, 1))
        let accountRows = max(listHeight - problemRows, 1)
        if visible.isEmpty {
            text("No accounts match “\(model.filter)” — Esc clears the filter.", row: listTop, col: 3, style: .dim)
        }
        let offset = max(model.selection - accountRows + 1, 0)
        for (line, index) in (offset..<min(visible.count, offset + accountRows)).enumerated() {
            drawRow(visible[index], selected: index == model.selection, columns: columns, row: listTop + line)
        }
        // Problems follow the accounts after a blank row, or take the bottom of the list.
        let shown = min(max(visible.count - offset, 0), accountRows)
        let problemTop = shown + 1 + problemRows <= listHeight ? shown + 1 : listHeight - problemRows
        drawProblems(from: listTop + problemTop, rows: problemRows)
        if let account = model.selectedAccount {
            drawDetails(account, top: statusRow - Layout.detailsHeight(rows: rows))
        }
    }

    private mutating func drawHeader(_ columns: Layout.Columns) {
        var line = String(repeating: " ", count: Layout.Columns.prefix)
        line += DisplayWidth.pad("HANDLE", to: columns.handle) + " " + DisplayWidth.pad("DID", to: columns.did) + " "
        if columns.pds > 0 { line += DisplayWidth.pad("PDS", to: columns.pds) + " " }
        line += DisplayWidth.pad("STATE", to: Layout.Columns.state) + " "
        line += DisplayWidth.padLeft("TOKEN", to: Layout.Columns.token) + " "
        line += DisplayWidth.padLeft("AGE", to: Layout.Columns.age)
        text(line, row: bodyTop, style: [.bold, .underline])
    }

    private mutating func drawRow(_ account: AccountSummary, selected: Bool, columns: Layout.Columns, row: Int) {
        let base: Style = selected ? .reverse : .plain
        let state = account.state(at: model.now)
        let refreshing = model.refreshing.contains(account.did)
        var cells: [(String, Style)] = [
            ((selected ? ">" : " ") + (account.isDefault ? "*" : " ") + " ", base),
            (DisplayWidth.pad(account.label, to: columns.handle) + " ", base.union(selected ? .bold : [])),
            (DisplayWidth.pad(account.did, to: columns.did) + " ", base.union(.dim)),
        ]
        if columns.pds > 0 {
            cells.append((DisplayWidth.pad(Format.host(account.pdsHost), to: columns.pds) + " ", base))
        }
        let badge = refreshing ? "refreshing…" : state.badge
        cells.append(
            (DisplayWidth.pad(badge, to: Layout.Columns.state) + " ", base.union(refreshing ? .accent : state.style)))
        let countdown = account.needsLogin ? "—" : Format.countdown(account.expiresAt.timeIntervalSince(model.now))
        cells.append((DisplayWidth.padLeft(countdown, to: Layout.Columns.token) + " ", base.union(state.style)))
        cells.append(
            (
                DisplayWidth.padLeft(
                    Format.age(model.now.timeIntervalSince(account.createdAt)), to: Layout.Columns.age), base
            ))
        var col = 0
        for (segment, style) in cells {
            text(segment, row: row, col: col, style: style)
            col += DisplayWidth.of(segment)
        }
        if selected, col < cols { text(String(repeating: " ", count: cols - col), row: row, col: col, style: base) }
    }

    private mutating func drawProblems(from top: Int, rows count: Int) {
        guard count > 0 else { return }
        for index in 0..<count {
            let problem = model.problems[index]
            let more = model.problems.count - count
            let suffix = index == count - 1 && more > 0 ? "  (+\(more) more)" : ""
            text("! \(problem.file): \(problem.reason)\(suffix)", row: top + index, col: 1, style: .warn)
        }
    }

    private mutating func drawDetails(_ account: AccountSummary, top: Int) {
        let height = Layout.detailsHeight(rows: rows)
        guard height > 1 else { return }
        let title = "── \(account.label)\(account.isDefault ? " (default)" : "") "
        text(title + String(repeating: "─", count: max(cols - DisplayWidth.of(title), 0)), row: top, style: .accent)
        let now = model.now
        let zone = model.timeZone
        let state = account.state(at: now)
        let expires = Format.time(account.expiresAt, now: now, zone: zone)
        let remaining = account.expiresAt.timeIntervalSince(now)
        let access: String
        switch state {
        case .needsLogin: access = "unusable — press L to log in again"
        case .expired:
            access =
                "expired \(expires) (\(Format.countdown(-remaining)) ago) · "
                + (account.hasRefreshToken ? "press r to refresh" : "no refresh token — press L")
        case .ok, .expiring:
            access =
                "expires \(expires) (in \(Format.countdown(remaining))) · refresh token "
                + (account.hasRefreshToken ? "yes" : "no")
        }
        let created = Format.time(account.createdAt, now: now, zone: zone)
        let refreshed =
            account.refreshedAt.map { "last refresh \(Format.time($0, now: now, zone: zone))" }
            ?? "never refreshed"
        let session = "created \(created) (\(Format.age(now.timeIntervalSince(account.createdAt))) ago) · \(refreshed)"
        let permissionRoom = height - 1 - Layout.detailsFixedFields
        let permissions = Self.permissionRows(account.scope, width: cols - 11, room: max(permissionRoom, 1))
        var fields: [(String, String, Style)] = [
            ("DID", account.did, .plain),
            ("Issuer", account.issuer, .plain),
            ("PDS", account.pdsHost, .plain),
        ]
        fields += permissions.enumerated().map { ($0.offset == 0 ? "Scopes" : "", $0.element, .plain) }
        fields += [
            ("Access", access, state.style),
            ("Session", session, .plain),
            ("DPoP jkt", account.dpopThumbprint, .dim),
        ]
        if permissionRoom < 1 {
            // Short terminals keep what changes and what needs action.
            fields = fields.filter { ["DID", "Issuer", "Access", "Session"].contains($0.0) }
        }
        for (index, field) in fields.prefix(height - 1).enumerated() {
            text(DisplayWidth.pad(field.0, to: 9), row: top + 1 + index, col: 1, style: .bold)
            text(field.1, row: top + 1 + index, col: 11, style: field.2)
        }
    }

    /// The granted permissions in words (the library's `ScopeSet.permissionLines`), wrapped to
    /// `width` with a hanging indent, in at most `room` rows. When they do not all fit, the
    /// `atproto` line goes first (every stored grant has it, R20), then the last row lists the
    /// remaining scopes as granted (`+ rpc:… include:…`); with no room for any line in words,
    /// that row is the whole scope string.
    static func permissionRows(_ scope: String, width: Int, room: Int) -> [String] {
        guard let granted = try? ScopeSet(granted: scope), !granted.isEmpty else {
            return [scope.isEmpty ? "none granted" : scope]
        }
        var scopes = granted.scopes
        var wrapped = scopes.map { hangingWrap($0.plainDescription, width: width) }
        guard wrapped.map(\.count).reduce(0, +) > room else { return wrapped.flatMap { $0 } }
        if scopes.count > 1, let index = scopes.firstIndex(of: .atproto) {
            scopes.remove(at: index)
            wrapped.remove(at: index)
            if wrapped.map(\.count).reduce(0, +) <= room { return wrapped.flatMap { $0 } }
        }
        var rows: [String] = []
        var shown = 0
        while shown < wrapped.count, rows.count + wrapped[shown].count <= room - 1 {
            rows += wrapped[shown]
            shown += 1
        }
        if shown == 0 { return [granted.rawValue] }
        rows.append("+ " + scopes[shown...].map(\.description).joined(separator: " "))
        return rows
    }

    /// Word-wraps `text` to `width` at spaces, continuation lines indented by two cells (a
    /// word longer than a line is left whole; drawing cuts it at the edge).
    static func hangingWrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            let limit = lines.isEmpty ? width : width - 2
            let candidate = line.isEmpty ? String(word) : line + " " + word
            if line.isEmpty || DisplayWidth.of(candidate) <= limit {
                line = candidate
            } else {
                lines.append(line)
                line = String(word)
            }
        }
        if !line.isEmpty || lines.isEmpty { lines.append(line) }
        return lines.enumerated().map { $0.offset == 0 ? $0.element : "  " + $0.element }
    }

    private mutating func drawFirstRun() {
        var lines: [(String, Style)] = [("Welcome! No accounts are stored yet.", .bold), ("", .plain)]
        let width = cols - 4
        let paragraphs = [
            "Press a to log in: type a handle such as alice.bsky.social, approve in the browser, and the "
                + "account appears here with its token countdown.",
            "Press d to see how a handle resolves (DID, PDS, authorization server) without logging in.",
        ]
        for paragraph in paragraphs {
            lines += DisplayWidth.wordWrap(paragraph, to: width).map { ($0, .plain) }
            lines.append(("", .plain))
        }
        if !model.suggestedHandles.isEmpty {
            lines += DisplayWidth.wordWrap(
                "Suggested handles: " + model.suggestedHandles.joined(separator: ", "), to: width
            )
            .map { ($0, .accent) }
            lines.append(("Press a, then Enter, to log in as \(model.suggestedHandles[0]).", .plain))
            lines.append(("", .plain))
        }
        for problem in model.problems {
            lines.append(("! \(problem.file): \(problem.reason)", .warn))
        }
        let top = bodyTop + 1
        for (index, line) in lines.enumerated() where top + index < statusRow {
            text(line.0, row: top + index, col: 2, style: line.1)
        }
    }
}

extension AccountState {
    var style: Style {
        switch self {
        case .ok: .ok
        case .expiring: .warn
        case .expired: .warn
        case .needsLogin: [.error, .bold]
        }
    }
}
