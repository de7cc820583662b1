// The short human summary for the terminal: violations first, one aligned row per origin in
// input order, then counts. Pure text; the caller decides where it goes.
#pragma once

#include <string>
#include <string_view>

#include "model/report.hpp"

namespace originscan::reports {

// `color`: ANSI colours for modes, violations and the incomplete warning (the caller decides,
// e.g. stdout is a terminal and NO_COLOR is unset). Never writes raw control bytes.
std::string render_summary(const Report& report, bool color = false);

// Text from the network made safe to print: C0/C1 control characters, DEL and bidirectional
// overrides become \xNN or \uNNNN, a backslash becomes \\, bytes that are not UTF-8 become \xNN.
std::string terminal_safe(std::string_view text);

}  // namespace originscan::reports
