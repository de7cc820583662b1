// The JSON report (PRODUCT.md "Outputs"; schema: reports/report.schema.json) and its reader,
// which turns an earlier report back into a Report for --baseline.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "model/report.hpp"

namespace originscan::reports {

// what(): "SOURCE: why" or "SOURCE: origins[3].tls.leaf.not_after: why".
struct ReportError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The report: keys in a fixed, documented order, origins in input order; 2-space indent,
// trailing newline. Invalid UTF-8 in any string (a certificate subject, an HTTP status line)
// is replaced by U+FFFD rather than failing the report; control characters, DEL, C1, U+2028/9
// and bidi controls are written as \uNNNN escapes (never raw), so the text reads back as it was.
std::string render_json(const Report& report);

// render_json's text as a JSON value, for tests and tools that inspect it.
nlohmann::ordered_json report_to_json(const Report& report);

// The same text in pieces, for runs too long to hold: frame.head, then for each origin i in
// input order before(i) and its json_origin, then close(any origin) and frame.tail. The head
// carries the summary, so it is rendered last, from summarize(report).
struct JsonFrame {
    std::string head;  // ends with "\"origins\": ["
    std::string tail;  // what follows the origins array
    static std::string_view before(std::size_t i) { return i == 0 ? "\n" : ",\n"; }
    static std::string_view close(bool any_origin) { return any_origin ? "\n  ]" : "]"; }
};
JsonFrame json_frame(const Report& report);
// Nested, no newline. `shard_report`: with the origin's `where` (FILE:LINE), for merge.
std::string json_origin(const OriginResult& result, std::int64_t judged_at, bool shard_report = false);

// One origin as a single line of NDJSON (with its input index), no newline.
std::string ndjson_origin(const OriginResult& result, std::int64_t judged_at);

// A JSON value as text the way the report writes it (indent -1: one line), for other JSON
// formats (SARIF): invalid UTF-8 as U+FFFD, unsafe code points as \uNNNN.
std::string json_text(const nlohmann::ordered_json& value, int indent);

// Reads a report written by render_json. Strict on everything a judgement needs (classes,
// modes, reasons, verdicts, TLS/HTTP/failure facts): a missing or mistyped field is an error.
// The summary is derived and not read; unknown keys are ignored. Throws ReportError when the
// text is not JSON, not an originscan report, of another schema_version, or malformed.
// parse_report(render_json(r)) renders identically to r.
Report parse_report(std::string_view text, std::string_view source);

// The pieces of parse_report, for readers that stream a report an origin at a time (merge):
// the header (every top-level member but origins and removed, which it leaves empty; the
// shard object when there is one), and one element of the origins array, `position` its place
// there (for messages). Same checks, same errors.
// JSON text parsed, or ReportError "SOURCE: WHERE: not JSON: ...".
nlohmann::json parse_report_json(std::string_view text, std::string_view source, const std::string& where);
Report parse_report_head(const nlohmann::json& doc, std::string_view source);
OriginResult parse_report_origin(const nlohmann::json& origin, std::string_view source, std::size_t position);

}  // namespace originscan::reports
