// The short human summary for the terminal: violations first, one aligned row per origin in
// input order, then counts. Pure text; the caller decides where it goes.
#pragma once

#include <string>
#include <string_view>

#include "model/report.hpp"

namespace originscan::reports {

// `color`: ANSI colours for modes, violations and the incomplete warning (the caller decides,
// e.g. stdout is a terminal and NO_COLOR is unset). Text from outside (origin inputs, certificate
// and HTTP details, error details) is shown inert (model/text.hpp): no raw control bytes.
std::string render_summary(const Report& report, bool color = false);

}  // namespace originscan::reports
