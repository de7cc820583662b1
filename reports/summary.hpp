// The short human summary for the terminal: violations first, one aligned row per origin in
// input order, then counts. Pure text; the caller decides where it goes.
#pragma once

#include <string>
#include <string_view>

#include "model/report.hpp"

namespace originscan::reports {

// `color`: ANSI colours for modes, violations and the incomplete warning (the caller decides:
// app/terminal.hpp `color_wanted`). Text from outside (origin inputs, certificate
// and HTTP details, error details) is shown inert (model/text.hpp): no raw control bytes.
std::string render_summary(const Report& report, bool color = false);

// For --quiet: the violations (as render_summary lists them), then one counts line,
// "22 origins: strict 5, full 8, flexible 3, none 6; 3 violations in 2 origins".
std::string render_quiet_summary(const Report& report, bool color = false);

}  // namespace originscan::reports
