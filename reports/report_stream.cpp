#include "reports/report_stream.hpp"

#include <nlohmann/json.hpp>

#include "model/text.hpp"
#include "reports/json_report.hpp"

namespace originscan::reports {

// Nesting deeper than this is not a report (and would make value_text's text grow unbounded
// for nothing).
constexpr std::size_t max_depth = 64;
// One origin object larger than this is refused: a report's biggest (16 certificates of 5,000
// names each) stays well below.
constexpr std::size_t max_value_bytes = std::size_t{256} << 20;

ReportStream::ReportStream(const std::string& path) : path_(path), in_(path, std::ios::binary) {
    if (!in_) fail("cannot open");
    buffer_ = in_.rdbuf();
    nlohmann::json doc = nlohmann::json::object();
    skip_blanks();
    expect('{', "the report");
    for (bool first = true;; first = false) {
        skip_blanks();
        if (peek() == '}') fail("no \"origins\" array");
        if (!first) {
            expect(',', "the report's members");
            skip_blanks();
        }
        const nlohmann::json key = parse_report_json(value_text("a member name"), path_, "");
        if (!key.is_string()) fail("expected a member name");
        skip_blanks();
        expect(':', "a member");
        skip_blanks();
        if (key.get<std::string>() == "origins") break;
        doc[key.get<std::string>()] = parse_report_json(value_text("a member"), path_, key.get<std::string>());
    }
    head_ = parse_report_head(doc, path_);
    expect('[', "origins");
}

bool ReportStream::next(OriginResult& out) {
    if (done_) return false;
    skip_blanks();
    if (peek() == ']') {
        get();
        // What follows the origins (removed, ...) is not needed, only well-formed.
        for (;;) {
            skip_blanks();
            const int c = get();
            if (c == '}') break;
            if (c != ',') fail("expected , or } after the origins");
            skip_blanks();
            value_text("a member name");
            skip_blanks();
            expect(':', "a member");
            skip_blanks();
            value_text("a member");
        }
        skip_blanks();
        if (peek() != EOF) fail("text after the report");
        done_ = true;
        return false;
    }
    if (position_ > 0) {
        expect(',', "origins");
        skip_blanks();
    }
    const std::string where = "origins[" + std::to_string(position_) + "]";
    out = parse_report_origin(parse_report_json(value_text(where.c_str()), path_, where), path_, position_);
    ++position_;
    return true;
}

int ReportStream::get() { return buffer_->sbumpc(); }
int ReportStream::peek() { return buffer_->sgetc(); }

void ReportStream::skip_blanks() {
    for (int c = peek(); c == ' ' || c == '\n' || c == '\r' || c == '\t'; c = peek()) get();
}

void ReportStream::expect(char c, const char* where) {
    const int got = get();
    if (got != c) fail(std::string("expected ") + c + " in " + where + (got == EOF ? " (the file ends)" : ""));
}

// Copies one value's text: a string, an object or array (strings inside them skipped whole, so
// their brackets do not count), or a scalar up to the next delimiter. nlohmann then parses it.
std::string ReportStream::value_text(const char* where) {
    std::string text;
    std::size_t depth = 0;
    bool in_string = false, escaped = false;
    for (;;) {
        const int c = peek();
        if (c == EOF) fail(std::string("the file ends inside ") + where);
        if (in_string) {
            text += static_cast<char>(get());
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') {
                in_string = false;
                if (depth == 0) return text;
            }
        } else if (c == '"') {
            in_string = true;
            text += static_cast<char>(get());
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth) fail(std::string("nested too deep in ") + where);
            text += static_cast<char>(get());
        } else if (c == '}' || c == ']') {
            if (depth == 0) break;  // ends a scalar
            text += static_cast<char>(get());
            if (--depth == 0) return text;
        } else if (depth == 0 && (c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == ':')) {
            break;
        } else {
            text += static_cast<char>(get());
        }
        if (text.size() > max_value_bytes) fail(std::string(where) + " is larger than any report's");
    }
    if (text.empty()) fail(std::string("expected a value in ") + where);
    return text;
}

void ReportStream::fail(const std::string& why) const { throw ReportError(inert(path_) + ": " + why); }

}  // namespace originscan::reports
