import Foundation

/// How text is drawn: attributes plus at most one colour.
///
/// Colours name a meaning, not a hue, so `NO_COLOR` can drop them without losing the meaning
/// (every coloured badge also carries a word or a symbol).
public struct Style: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let bold = Style(rawValue: 1 << 0)
    public static let reverse = Style(rawValue: 1 << 1)
    public static let dim = Style(rawValue: 1 << 2)
    public static let underline = Style(rawValue: 1 << 3)
    /// Green: healthy, succeeded.
    public static let ok = Style(rawValue: 1 << 8)
    /// Yellow: soon to need attention.
    public static let warn = Style(rawValue: 1 << 9)
    /// Red: failed, needs action.
    public static let error = Style(rawValue: 1 << 10)
    /// Cyan: headings, things to act on.
    public static let accent = Style(rawValue: 1 << 11)

    public static let plain: Style = []
}

/// A grid of cells the view draws on: the terminal, or memory in tests.
public protocol Screen {
    var rows: Int { get }
    var cols: Int { get }
    mutating func clear()
    /// Draws `text` from (`row`, `col`); what does not fit in the row is cut off. Characters
    /// take their display width (2 cells for wide ones). Rows outside the screen are ignored.
    mutating func put(_ text: String, row: Int, col: Int, style: Style)
}

/// The in-memory screen used by the tests and the golden frames.
public struct MemoryScreen: Screen, Sendable {
    public let rows: Int
    public let cols: Int
    /// Each cell holds one character, or nothing when it continues a wide character.
    private var cells: [[String]]
    private var styles: [[Style]]

    public init(rows: Int, cols: Int) {
        self.rows = max(rows, 0)
        self.cols = max(cols, 0)
        cells = Array(repeating: Array(repeating: " ", count: self.cols), count: self.rows)
        styles = Array(repeating: Array(repeating: [], count: self.cols), count: self.rows)
    }

    public mutating func clear() {
        self = MemoryScreen(rows: rows, cols: cols)
    }

    public mutating func put(_ text: String, row: Int, col: Int, style: Style) {
        guard cells.indices.contains(row), col >= 0 else { return }
        var column = col
        for character in text {
            let width = DisplayWidth.of(character)
            if width == 0 { continue }
            guard column + width <= cols else { break }
            // Overwriting half of a wide character blanks its other half.
            if cells[row][column].isEmpty, column > 0 { cells[row][column - 1] = " " }
            cells[row][column] = String(character)
            styles[row][column] = style
            if width == 2 {
                cells[row][column + 1] = ""
                styles[row][column + 1] = style
            }
            column += width
            if column < cols, cells[row][column].isEmpty { cells[row][column] = " " }
        }
    }

    /// The rows as text, trailing spaces trimmed.
    public var lines: [String] {
        cells.map { row in
            var line = row.joined()
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
    }

    /// The whole screen as one string, one line per row.
    public func frame() -> String { lines.joined(separator: "\n") + "\n" }

    /// The style of one cell, for tests that check colours.
    public func style(row: Int, col: Int) -> Style {
        guard styles.indices.contains(row), styles[row].indices.contains(col) else { return [] }
        return styles[row][col]
    }
}
