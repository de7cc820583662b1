// A JSON report read one origin at a time, in memory that does not grow with the report (the
// merge of shard reports of millions of origins): the header first, then each element of the
// origins array as it comes. Any JSON layout is read (not only render_json's); the header
// members must come before "origins", as render_json writes them. What each origin object
// becomes is parse_report_origin's (json_report.cpp): one reader for the baseline and merge.
#pragma once

#include <fstream>
#include <string>

#include "model/report.hpp"

namespace originscan::reports {

class ReportStream {
public:
    // Opens `path` and reads up to the origins array. Throws ReportError ("PATH: why").
    explicit ReportStream(const std::string& path);

    const Report& head() const { return head_; }
    const std::string& path() const { return path_; }

    // The next origin, false after the last one (the rest of the document is then checked to
    // be well-formed JSON). Throws ReportError.
    bool next(OriginResult& out);

private:
    int get();
    int peek();
    void skip_blanks();
    void expect(char c, const char* where);
    std::string value_text(const char* where);  // one JSON value, as written
    [[noreturn]] void fail(const std::string& why) const;

    std::string path_;
    std::ifstream in_;
    std::streambuf* buffer_ = nullptr;
    Report head_;
    std::size_t position_ = 0;  // origins read
    bool done_ = false;
};

}  // namespace originscan::reports
