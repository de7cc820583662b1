// Terminal manners: what a stream is (a terminal that takes ANSI escapes, one that does not, or
// a pipe or file) and whether colour is wanted on it.
#pragma once

namespace originscan::app {

enum class Display {
    lines,          // a pipe or file: whole lines, no carriage returns, no escapes
    dumb_terminal,  // a terminal with TERM=dumb: carriage returns, no escape sequences
    ansi_terminal,  // any other terminal
};

// isatty(fd) and the TERM variable.
Display display_of(int fd);

// Colour on `fd`: an ANSI terminal, --no-color not given, and NO_COLOR unset or empty
// (no-color.org: "when present and not an empty string", whatever its value).
bool color_wanted(int fd, bool no_color_option);

}  // namespace originscan::app
