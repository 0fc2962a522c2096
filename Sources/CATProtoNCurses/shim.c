#define _GNU_SOURCE 1
#include "CATProtoNCurses.h"

WINDOW *cncurses_stdscr(void) { return stdscr; }
int cncurses_rows(WINDOW *win) { int y, x; getmaxyx(win, y, x); (void)x; return y; }
int cncurses_cols(WINDOW *win) { int y, x; getmaxyx(win, y, x); (void)y; return x; }
int cncurses_color_pair(int pair) { return (int)COLOR_PAIR(pair); }
int cncurses_attr_bold(void) { return (int)A_BOLD; }
int cncurses_attr_reverse(void) { return (int)A_REVERSE; }
int cncurses_attr_dim(void) { return (int)A_DIM; }
int cncurses_attr_underline(void) { return (int)A_UNDERLINE; }
int cncurses_key_resize(void) { return KEY_RESIZE; }
int cncurses_key_up(void) { return KEY_UP; }
int cncurses_key_down(void) { return KEY_DOWN; }
int cncurses_key_enter(void) { return KEY_ENTER; }
int cncurses_key_backspace(void) { return KEY_BACKSPACE; }
int cncurses_key_home(void) { return KEY_HOME; }
int cncurses_key_end(void) { return KEY_END; }
int cncurses_key_npage(void) { return KEY_NPAGE; }
int cncurses_key_ppage(void) { return KEY_PPAGE; }
int cncurses_err(void) { return ERR; }

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>
#include <wchar.h>

int cncurses_wcwidth(unsigned int codepoint) { return wcwidth((wchar_t)codepoint); }

int cncurses_put(WINDOW *win, int y, int x, const wchar_t *text, int count, int attrs, int pair) {
    attr_t old_attrs; short old_pair;
    wattr_get(win, &old_attrs, &old_pair, NULL);
    wattr_set(win, (attr_t)attrs, (short)pair, NULL);
    int result = mvwaddnwstr(win, y, x, text, count);
    wattr_set(win, old_attrs, old_pair, NULL);
    return result;
}

int cncurses_init_colors(void) {
    if (!has_colors()) return 0;
    start_color();
    use_default_colors();
    init_pair(1, COLOR_GREEN, -1);
    init_pair(2, COLOR_YELLOW, -1);
    init_pair(3, COLOR_RED, -1);
    init_pair(4, COLOR_CYAN, -1);
    return 1;
}

int cncurses_read_key(WINDOW *win, unsigned int *out) {
    wint_t key = 0;
    int kind = wget_wch(win, &key);
    *out = (unsigned int)key;
    if (kind == KEY_CODE_YES) return 1;
    if (kind == OK) return 0;
    return -1;
}

static volatile sig_atomic_t cncurses_signal = 0;
/// The wake pipe: [0] polled by the run loop, [1] written by cncurses_wake (-1 = none).
static volatile int cncurses_wake_fds[2] = {-1, -1};

void cncurses_wake(void) {
    int fd = cncurses_wake_fds[1];
    if (fd < 0) return;
    int saved = errno;  /* also called from signal handlers */
    char byte = 1;
    /* A full pipe already holds a wake-up: EAGAIN is fine. */
    while (write(fd, &byte, 1) < 0 && errno == EINTR) {}
    errno = saved;
}

static void cncurses_record_signal(int sig) {
    cncurses_signal = sig;
    cncurses_wake();
}

int cncurses_wake_open(void) {
    int fds[2];
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return -1;
    cncurses_wake_fds[0] = fds[0];
    cncurses_wake_fds[1] = fds[1];
    return 0;
}

void cncurses_wake_close(void) {
    int read_end = cncurses_wake_fds[0], write_end = cncurses_wake_fds[1];
    cncurses_wake_fds[1] = -1;
    cncurses_wake_fds[0] = -1;
    if (write_end >= 0) close(write_end);
    if (read_end >= 0) close(read_end);
}

int cncurses_wait(int timeout_ms) {
    struct pollfd fds[2] = {
        {.fd = STDIN_FILENO, .events = POLLIN, .revents = 0},
        {.fd = cncurses_wake_fds[0], .events = POLLIN, .revents = 0},
    };
    nfds_t count = fds[1].fd >= 0 ? 2 : 1;
    int ready = poll(fds, count, timeout_ms);
    if (ready <= 0) return 0;
    if (count == 2 && (fds[1].revents & POLLIN)) {
        char buffer[64];
        while (read(fds[1].fd, buffer, sizeof buffer) > 0) {}
    }
    return (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) ? 1 : 0;
}

void cncurses_install_signal_handlers(void) {
    struct sigaction action;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    action.sa_handler = cncurses_record_signal;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGHUP, &action, NULL);
}

int cncurses_take_signal(void) {
    int sig = cncurses_signal;
    cncurses_signal = 0;
    return sig;
}

void cncurses_restore_signal_handlers(void) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
}
