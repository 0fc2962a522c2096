#ifndef CNCURSES_H
#define CNCURSES_H

#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1
#include <ncursesw/curses.h>
#include <locale.h>

/// Shims for what ncurses exposes only as macros, which Swift cannot import.
WINDOW *cncurses_stdscr(void);
int cncurses_rows(WINDOW *win);
int cncurses_cols(WINDOW *win);
int cncurses_color_pair(int pair);
int cncurses_attr_bold(void);
int cncurses_attr_reverse(void);
int cncurses_attr_dim(void);
int cncurses_attr_underline(void);
int cncurses_key_resize(void);
int cncurses_key_up(void);
int cncurses_key_down(void);
int cncurses_key_enter(void);
int cncurses_key_backspace(void);
int cncurses_key_home(void);
int cncurses_key_end(void);
int cncurses_key_npage(void);
int cncurses_key_ppage(void);
int cncurses_err(void);

/// Display width of one code point in the current locale (-1 when the locale cannot say).
int cncurses_wcwidth(unsigned int codepoint);

/// Draws `count` wide characters at (y, x) with the attributes and colour pair given
/// (pair 0 = default colours), leaving the window's attributes as they were.
int cncurses_put(WINDOW *win, int y, int x, const wchar_t *text, int count, int attrs, int pair);

/// start_color + default background + pairs 1 green, 2 yellow, 3 red, 4 cyan.
/// Returns 0 when the terminal has no colours.
int cncurses_init_colors(void);

/// Reads one key: returns 0 for a character (in *out), 1 for a function key (KEY_* in *out),
/// -1 when nothing arrived before the timeout.
int cncurses_read_key(WINDOW *win, unsigned int *out);

/// Installs SIGINT/SIGTERM/SIGHUP handlers that only record the signal (no curses calls in a
/// handler); call before initscr so ncurses keeps its hands off them.
void cncurses_install_signal_handlers(void);
/// The last signal recorded (0 = none), cleared by reading it.
int cncurses_take_signal(void);
/// Restores the default handlers.
void cncurses_restore_signal_handlers(void);

/// Creates the wake pipe (non-blocking, close-on-exec) that `cncurses_wake` writes to and
/// `cncurses_wait` polls beside stdin; the signal handlers above write to it too, so a signal
/// ends the wait at once. Returns 0, or -1 when the pipe cannot be made (waits then simply
/// time out, as before).
int cncurses_wake_open(void);
/// Closes the wake pipe.
void cncurses_wake_close(void);
/// Ends the current (or next) `cncurses_wait`. Safe from any thread and from signal handlers.
void cncurses_wake(void);
/// Waits up to `timeout_ms` for a key on stdin or a wake-up, and drains pending wake-ups.
/// Returns 1 when stdin is readable, 0 otherwise (woken, timed out or interrupted).
int cncurses_wait(int timeout_ms);

#endif
