#include "CNCurses.h"

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
