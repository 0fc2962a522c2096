import ATProtoOAuth
import Foundation

/// One line of a scrolling list: styled segments, and the selectable item it belongs to.
struct ListLine {
    var segments: [(String, Style)]
    var item: Int?

    init(_ segments: [(String, Style)], item: Int? = nil) {
        self.segments = segments
        self.item = item
    }

    init(_ text: String, _ style: Style = .plain) {
        self.init([(text, style)])
    }
}

extension Canvas {
    /// Draws styled segments side by side, cutting the one that reaches the edge.
    mutating func segments(_ segments: [(String, Style)], row: Int, col: Int = 0) {
        var column = col
        for (segment, style) in segments where column < cols {
            text(segment, row: row, col: column, style: style)
            column += DisplayWidth.of(segment)
        }
    }

    /// One step: pointer, icon, name, duration, then the detail (or the target while running).
    /// The name column fits the longest step name, up to about a third of the width.
    func stepNameWidth(_ steps: [FlowStep]) -> Int {
        let longest = steps.map { DisplayWidth.of($0.name) }.max() ?? 0
        return min(max(longest, 14), max(16, cols * 3 / 8))
    }

    func stepLine(
        _ step: FlowStep, selected: Bool, item: Int?, nameWidth: Int, withSubresults: Bool = true
    ) -> [ListLine] {
        let (icon, iconStyle) = Format.icon(step.status, now: model.now)
        let about = step.detail.isEmpty ? (step.target ?? "") : step.detail
        var lines = [
            ListLine(
                [
                    ((selected ? ">" : " ") + " ", selected ? .bold : .plain),
                    (icon + " ", iconStyle),
                    (DisplayWidth.pad(step.name, to: nameWidth), selected ? .bold : .plain),
                    (DisplayWidth.padLeft(Format.milliseconds(step.milliseconds), to: 8) + "  ", .dim),
                    (about, step.status == .failed ? .error : (step.detail.isEmpty ? .dim : .plain)),
                ], item: item)
        ]
        if withSubresults {
            lines += step.subresults.map { ListLine([("      ↳ " + $0, .dim)], item: item) }
        }
        return lines
    }

    /// Draws `lines` in rows `top..<top+height`, scrolled so the selected item is visible.
    mutating func drawList(_ lines: [ListLine], selected: Int?, top: Int, height: Int) {
        guard height > 0 else { return }
        var offset = 0
        if let selected, let last = lines.lastIndex(where: { $0.item == selected }) {
            offset = max(last - height + 1, 0)
        }
        for (row, line) in lines.dropFirst(offset).prefix(height).enumerated() {
            segments(line.segments, row: top + row)
        }
    }

    mutating func drawDiscovery() {
        let state = model.discovery
        let top = bodyTop
        if state.input.isEmpty {
            let help =
                "Type a handle (alice.bsky.social), a DID (did:plc:…) or a PDS or issuer URL, then Enter. "
                + "Each step of discovery is shown with its duration; Enter on a step shows the raw document."
            for (index, line) in DisplayWidth.wordWrap(help, to: cols - 4).enumerated() {
                text(line, row: top + 1 + index, col: 2)
            }
            return
        }
        let progress: (String, Style)
        if state.isRunning {
            progress = ("\(Format.spinner(model.now)) running", .accent)
        } else if state.error != nil || state.steps.contains(where: { $0.status == .failed }) {
            progress = ("✗ failed", [.error, .bold])
        } else {
            progress = ("✓ done", .ok)
        }
        segments([("Inspecting ", .plain), (state.input, .bold), ("  ", .plain), progress], row: top, col: 1)

        var lines: [ListLine] = []
        for (index, step) in state.steps.enumerated() {
            lines += stepLine(
                step, selected: index == state.selection, item: index, nameWidth: stepNameWidth(state.steps))
        }
        if !state.checks.isEmpty {
            let failed = state.checks.filter { !$0.ok }.count
            lines.append(ListLine(""))
            lines.append(
                ListLine(
                    "  Profile checks: \(state.checks.count - failed) passed, \(failed) failed",
                    failed == 0 ? .bold : [.bold, .error]))
            for (offset, check) in state.checks.enumerated() {
                let item = state.steps.count + offset
                let selected = item == state.selection
                lines.append(
                    ListLine(
                        [
                            ((selected ? ">" : " ") + " ", .bold),
                            (check.ok ? "✓ " : "✗ ", check.ok ? .ok : [.error, .bold]),
                            (DisplayWidth.pad(check.rule, to: 4), .accent),
                            (DisplayWidth.pad(check.name, to: 24) + " ", selected ? .bold : .plain),
                            (check.detail, check.ok ? .dim : .error),
                        ], item: item))
            }
        }
        if let summary = state.summary {
            lines.append(ListLine(""))
            lines.append(ListLine([("  ✓ ", .ok), (summary, .bold)], item: state.itemCount - 1))
        } else if let error = state.error {
            lines.append(ListLine(""))
            lines.append(ListLine([("  ✗ ", [.error, .bold]), (error.message, .error)], item: state.itemCount - 1))
            lines.append(ListLine([("    → " + error.hint, .plain)], item: state.itemCount - 1))
        }
        drawList(lines, selected: state.selection, top: top + 2, height: statusRow - top - 2)
    }

    mutating func drawDocument(_ document: DocumentView) {
        let height = Layout.documentHeight(rows: rows)
        let first = min(document.scroll + 1, document.lines.count)
        let last = min(document.scroll + height, document.lines.count)
        let position = "  lines \(first)–\(last) of \(document.lines.count)"
        let room = max(cols - 1 - DisplayWidth.of(position), 1)
        segments(
            [(DisplayWidth.truncate("Document · " + document.title, to: room), [.bold, .accent]), (position, .dim)],
            row: bodyTop, col: 1)
        for (index, line) in document.lines.dropFirst(document.scroll).prefix(height).enumerated() {
            text(line, row: bodyTop + 1 + index, col: 1)
        }
    }
}
