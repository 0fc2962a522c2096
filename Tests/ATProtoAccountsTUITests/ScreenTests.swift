import Foundation
import Testing

@testable import ATProtoAccountsTUI

@Suite("MemoryScreen, widths and formats")
struct ScreenTests {
    @Test("put clips at the right edge and ignores rows outside the screen")
    func clipping() {
        var screen = MemoryScreen(rows: 2, cols: 5)
        screen.put("abcdefgh", row: 0, col: 2, style: .bold)
        screen.put("zzz", row: 5, col: 0, style: .plain)
        #expect(screen.lines == ["  abc", ""])
        #expect(screen.style(row: 0, col: 2) == .bold)
        #expect(screen.frame() == "  abc\n\n")
    }

    @Test("wide characters take two cells and never straddle the edge")
    func wide() {
        var screen = MemoryScreen(rows: 1, cols: 5)
        screen.put("日本語", row: 0, col: 0, style: .plain)
        #expect(screen.lines == ["日本"])
        #expect(DisplayWidth.of("日本語") == 6)
        #expect(DisplayWidth.of("e\u{301}") == 1)
        #expect(DisplayWidth.truncate("alice.bsky.social", to: 8) == "alice.b…")
        #expect(DisplayWidth.truncate("日本語", to: 4) == "日…")
        #expect(DisplayWidth.pad("ab", to: 4) == "ab  ")
        #expect(DisplayWidth.wordWrap("one two three", to: 7) == ["one two", "three"])
    }

    @Test("countdowns and ages stay short")
    func formats() {
        #expect(Format.countdown(899) == "14:59")
        #expect(Format.countdown(42) == "0:42")
        #expect(Format.countdown(3_725) == "1h02m")
        #expect(Format.countdown(2 * 86_400 + 3 * 3_600) == "2d03h")
        #expect(Format.countdown(-300) == "-5:00")
        #expect(Format.age(30) == "30s")
        #expect(Format.age(3 * 3_600 + 5) == "3h")
        #expect(Format.age(2 * 86_400 + 300) == "2d")
    }

    @Test("the table drops the PDS column below 72 columns")
    func columns() {
        let wide = Layout.Columns(cols: 80)
        #expect([wide.handle, wide.did, wide.pds] == [Int]([17, 16, 17]))
        #expect(Layout.Columns(cols: 60).pds == 0)
    }
}
