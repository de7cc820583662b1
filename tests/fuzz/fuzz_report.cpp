// libFuzzer target: the JSON report reader (reports/json_report.hpp), which reads --baseline.
// Malformed input must end in ReportError, nothing else. An accepted report must round-trip:
// what it renders to reads back and renders identically (the reader's documented promise).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "reports/json_report.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    originscan::Report report;
    try {
        report = originscan::reports::parse_report(text, "fuzz.json");
    } catch (const originscan::reports::ReportError&) {
        return 0;
    }
    const std::string rendered = originscan::reports::render_json(report);
    originscan::Report again;
    try {
        again = originscan::reports::parse_report(rendered, "rendered.json");
    } catch (const originscan::reports::ReportError&) {
        std::abort();  // a report we wrote ourselves must read back
    }
    if (originscan::reports::render_json(again) != rendered) std::abort();
    return 0;
}
