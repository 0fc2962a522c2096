import CATProtoNCurses

/// The real terminal. Only the run loop's thread creates and uses it.
struct NCursesScreen: Screen {
    let window: UnsafeMutablePointer<WINDOW>
    /// False under `NO_COLOR` or on a terminal without colours; attributes still apply.
    let useColor: Bool

    var rows: Int { Int(cncurses_rows(window)) }
    var cols: Int { Int(cncurses_cols(window)) }

    mutating func clear() {
        werase(window)
    }

    mutating func put(_ text: String, row: Int, col: Int, style: Style) {
        let width = cols
        guard row >= 0, row < rows, col >= 0, col < width else { return }
        var characters: [wchar_t] = []
        var column = col
        for character in text {
            let cells = DisplayWidth.of(character)
            guard column + cells <= width else { break }
            if cells == 0, characters.isEmpty { continue }  // a combining mark needs a base
            characters.append(contentsOf: character.unicodeScalars.map { wchar_t(bitPattern: $0.value) })
            column += cells
        }
        guard !characters.isEmpty else { return }
        _ = cncurses_put(
            window, Int32(row), Int32(col), characters, Int32(characters.count), attributes(style), pair(style))
    }

    private func attributes(_ style: Style) -> Int32 {
        var value: Int32 = 0
        if style.contains(.bold) { value |= cncurses_attr_bold() }
        if style.contains(.reverse) { value |= cncurses_attr_reverse() }
        if style.contains(.dim) { value |= cncurses_attr_dim() }
        if style.contains(.underline) { value |= cncurses_attr_underline() }
        return value
    }

    private func pair(_ style: Style) -> Int32 {
        guard useColor else { return 0 }
        if style.contains(.ok) { return 1 }
        if style.contains(.warn) { return 2 }
        if style.contains(.error) { return 3 }
        if style.contains(.accent) { return 4 }
        return 0
    }
}
