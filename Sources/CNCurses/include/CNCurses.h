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

#endif
