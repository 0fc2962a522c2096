import ATProtoOAuth
import CATProtoNCurses
import Foundation

/// Runs the TUI on the terminal until the person quits.
///
/// ncurses is not thread-safe, so the whole terminal side (setup, drawing, input, teardown) runs
/// on one dedicated thread; effects run as Swift tasks and post their results back as events.
/// The thread sleeps in poll(2) on stdin and a wake pipe: a posted event, a signal or a
/// cancellation writes to the pipe, so results are drawn at once instead of after the next
/// input timeout. The terminal is restored on every way out: `q`/Ctrl-C, a thrown error,
/// SIGINT, SIGTERM, SIGHUP (the handlers only record the signal and wake the loop).
public final class TUIRunner: Sendable {
    private let service: any AccountsService
    private let environment: [String: String]
    private let stopRequest = StopRequest()

    /// - Parameter environment: the process environment (`NO_COLOR` turns colours off).
    public init(service: any AccountsService, environment: [String: String]) {
        self.service = service
        self.environment = environment
    }

    /// Returns when the person quits, a signal arrives or the calling task is cancelled, and
    /// a refresh already sent has saved its new tokens (R24; at most 10 s).
    public func run() async throws {
        do {
            try await runTerminal()
        } catch {
            await Self.waitForRefreshesInFlight()
            throw error
        }
        await Self.waitForRefreshesInFlight()
    }

    /// A refresh whose token request was sent spends its refresh token: quitting (a key, a
    /// signal) must not end the process before the answer is saved. Refresh tasks, cancelled
    /// on the way out, finish their critical section regardless.
    static func waitForRefreshesInFlight() async {
        guard CriticalSection.inFlight > 0 else { return }
        FileHandle.standardError.write(Data("atproto-oauth: saving a refresh in flight…\n".utf8))
        _ = await CriticalSection.idle(timeout: .seconds(10))
    }

    private func runTerminal() async throws {
        let stopRequest = stopRequest
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let thread = Thread { [self] in
                    do {
                        try self.runOnTerminalThread()
                        continuation.resume()
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
                thread.name = "atproto-oauth-tui"
                thread.start()
            }
        } onCancel: {
            stopRequest.request()
            cncurses_wake()
        }
    }

    /// Milliseconds to wait for a key: short while something animates, longer when idle.
    static func pollTimeout(for model: Model) -> Int32 {
        let busy = model.login.isRunning || model.discovery.isRunning || !model.refreshing.isEmpty
        return busy ? 100 : 250
    }

    private func runOnTerminalThread() throws {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw TUIError("the TUI needs a terminal: run it with stdin and stdout attached to a TTY")
        }
        setlocale(LC_ALL, "")
        // Opened before the handlers (which write to it) are installed, closed after they are gone.
        _ = cncurses_wake_open()
        defer { cncurses_wake_close() }
        // Before initscr, so ncurses leaves these signals to us instead of exiting on them.
        cncurses_install_signal_handlers()
        defer { cncurses_restore_signal_handlers() }
        guard let window = initscr() else {
            throw TUIError("could not initialise the terminal (check TERM)")
        }
        defer { endwin() }
        cbreak()
        noecho()
        keypad(window, true)
        curs_set(0)
        set_escdelay(25)
        let noColor = !(environment["NO_COLOR"] ?? "").isEmpty
        let useColor = !noColor && cncurses_init_colors() != 0
        var screen = NCursesScreen(window: window, useColor: useColor)

        let inbox = EventInbox(wake: { cncurses_wake() })
        let executor = EffectExecutor(service: service, inbox: inbox)
        defer { executor.cancelAll() }
        var loop = Loop(
            model: Model(
                now: Date(), rows: screen.rows, cols: screen.cols, suggestedHandles: service.suggestedHandles,
                timeZone: .current),
            executor: executor)
        executor.perform(.loadAccounts)
        // Another terminal's login, logout or refresh shows up without a key press.
        executor.watchStore()

        var lastDrawn: Model?
        while !loop.done {
            if cncurses_take_signal() != 0 || stopRequest.isRequested { break }
            for event in inbox.drain() { loop.apply(event) }
            loop.apply(.tick(Date()))
            // Redraw only when something visible changed: countdowns move once a second,
            // spinners ten times a second. Keeps an idle TUI near 0 % CPU.
            let drawKey = Self.drawKey(for: loop.model)
            if drawKey != lastDrawn {
                view(loop.model, into: &screen)
                wrefresh(window)
                lastDrawn = drawKey
            }
            loop.flushClipboard()
            // Sleep until a key, an event from an effect, a signal, or the next tick is due.
            _ = cncurses_wait(Self.pollTimeout(for: loop.model))
            // Then take every key ncurses has (a resize arrives as KEY_RESIZE) without blocking;
            // keys it already buffered are read here even when stdin itself looks empty.
            wtimeout(window, 0)
            var code: UInt32 = 0
            readKeys: while !loop.done {
                switch cncurses_read_key(window, &code) {
                case 0:
                    if let key = Self.key(character: code) { loop.apply(.key(key)) }
                case 1:
                    if Int32(code) == cncurses_key_resize() {
                        loop.apply(.resized(rows: screen.rows, cols: screen.cols))
                    } else if let key = Self.key(function: Int32(code)) {
                        loop.apply(.key(key))
                    }
                default:
                    break readKeys
                }
            }
        }
    }

    /// The model with its clock rounded to what the frame can show.
    static func drawKey(for model: Model) -> Model {
        var key = model
        let perSecond: Double = pollTimeout(for: model) == 100 ? 10 : 1
        key.now = Date(
            timeIntervalSinceReferenceDate: (model.now.timeIntervalSinceReferenceDate * perSecond).rounded(.down)
                / perSecond)
        return key
    }

    static func key(character code: UInt32) -> Key? {
        switch code {
        case 3: return .ctrlC
        case 27: return .escape
        case 10, 13: return .enter
        case 8, 127: return .backspace
        case 0..<32: return nil
        default: return Unicode.Scalar(code).map { .char(Character($0)) }
        }
    }

    static func key(function code: Int32) -> Key? {
        switch code {
        case cncurses_key_up(): .up
        case cncurses_key_down(): .down
        case cncurses_key_enter(): .enter
        case cncurses_key_backspace(): .backspace
        case cncurses_key_home(): .home
        case cncurses_key_end(): .end
        case cncurses_key_ppage(): .pageUp
        case cncurses_key_npage(): .pageDown
        default: nil
        }
    }
}

/// The model plus what the loop must do after each update.
private struct Loop {
    var model: Model
    let executor: EffectExecutor
    var done = false
    var clipboard: String?

    mutating func apply(_ event: Event) {
        let (next, effects) = update(model, event)
        model = next
        for effect in effects {
            switch effect {
            case .quit: done = true
            case .copyToClipboard(let text): clipboard = text
            default: executor.perform(effect)
            }
        }
    }

    /// Sends OSC 52 after the frame is drawn, so it does not interleave with ncurses output.
    mutating func flushClipboard() {
        guard let text = clipboard else { return }
        clipboard = nil
        let sequence = "\u{1B}]52;c;\(Data(text.utf8).base64EncodedString())\u{07}"
        FileHandle.standardOutput.write(Data(sequence.utf8))
    }
}

/// Set when the task running the TUI is cancelled; read by the loop each poll.
private final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false  // guarded by lock

    func request() {
        lock.lock()
        requested = true
        lock.unlock()
    }

    var isRequested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return requested
    }
}
