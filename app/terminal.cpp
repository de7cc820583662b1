#include "app/terminal.hpp"

#include <unistd.h>

#include <cstdlib>
#include <string_view>

namespace originscan::app {

Display display_of(int fd) {
    if (isatty(fd) == 0) return Display::lines;
    const char* term = std::getenv("TERM");
    return term != nullptr && std::string_view(term) == "dumb" ? Display::dumb_terminal : Display::ansi_terminal;
}

bool color_wanted(int fd, bool no_color_option) {
    const char* no_color = std::getenv("NO_COLOR");
    if (no_color_option || (no_color != nullptr && *no_color != '\0')) return false;
    return display_of(fd) == Display::ansi_terminal;
}

}  // namespace originscan::app
