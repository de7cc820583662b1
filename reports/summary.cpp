#include "reports/summary.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <variant>
#include <vector>

#include "reports/format.hpp"
#include "rules/classify.hpp"
#include "rules/edges.hpp"
#include "rules/origin_ca.hpp"

namespace originscan::reports {
namespace {

constexpr std::string_view ellipsis = "\u2026";

namespace ansi {
constexpr std::string_view red = "\x1b[31m";
constexpr std::string_view green = "\x1b[32m";
constexpr std::string_view yellow = "\x1b[33m";
constexpr std::string_view bold_red = "\x1b[1;31m";
constexpr std::string_view reset = "\x1b[0m";
}  // namespace ansi

// Columns on a terminal, counted as code points: the text is inert already. East Asian
// wide characters count as one; names and subjects are rarely made of them.
std::size_t display_width(std::string_view text) {
    std::size_t width = 0;
    for (std::size_t i = 0; i < text.size(); i += decode_utf8(text, i).length) ++width;
    return width;
}

// Text from outside, inert (model/text.hpp), cut to `max` columns with an ellipsis.
std::string cell(std::string_view raw, std::size_t max) {
    std::string text = inert(raw);
    if (display_width(text) <= max) return text;
    std::size_t end = 0;
    for (std::size_t kept = 0; kept + 1 < max; ++kept) end += decode_utf8(text, end).length;
    text.resize(end);
    return text += ellipsis;
}

std::string_view mode_color(EdgeMode mode) {
    switch (mode) {
        case EdgeMode::strict: return ansi::green;
        case EdgeMode::full: return ansi::yellow;
        case EdgeMode::flexible:
        case EdgeMode::none: return ansi::red;
    }
    return {};
}

struct Column {
    std::string_view title;
    std::size_t max;
    bool right = false;
};

struct Row {
    std::vector<std::string> cells;
    std::string_view color;  // for the class and mode cells
    std::vector<std::string_view> edge_colors;  // one per edge column (--edge)
};

enum column_index { c_origin, c_class, c_mode, c_tls, c_days, c_reasons, c_note };
constexpr Column columns[] = {
    {"ORIGIN", 48}, {"CLASS", 12}, {"MODE", 8},      {"TLS", 8},
    {"DAYS", 6, true}, {"REASONS", 48}, {"NOTE", 60},
};

// The columns of the table: the fixed ones, and after MODE one per other edge (--edge): the
// setting that edge allows. With Cloudflare alone the table is as it always was.
std::vector<Column> table_columns(const Report& report, std::vector<std::string>& titles) {
    titles.clear();
    for (std::size_t i = 1; i < report.settings.edges.size(); ++i) {
        const rules::EdgeProfile* profile = rules::edge_profile(report.settings.edges[i]);
        std::string title(profile ? profile->title : std::string_view(report.settings.edges[i]));
        for (char& c : title) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        titles.push_back(std::move(title));
    }
    std::vector<Column> out(std::begin(columns), std::end(columns));
    std::vector<Column> edge_columns;
    for (const auto& title : titles) edge_columns.push_back({title, 20});
    out.insert(out.begin() + c_mode + 1, edge_columns.begin(), edge_columns.end());
    return out;
}

std::string_view rank_color(int rank) {
    return rank >= 3 ? ansi::green : rank == 2 ? ansi::yellow : ansi::red;
}

std::string pad(const std::string& text, std::size_t width, bool right) {
    const std::string spaces(width - std::min(width, display_width(text)), ' ');
    return right ? spaces + text : text + spaces;
}

std::string colored(std::string_view text, std::string_view color, bool enabled) {
    if (!enabled || color.empty()) return std::string(text);
    return std::string(color) + std::string(text) + std::string(ansi::reset);
}

std::string join(const std::vector<Reason>& reasons) {
    std::string out;
    for (const Reason r : reasons) {
        if (!out.empty()) out += ',';
        out += to_string(r);
    }
    return out;
}

Row origin_row(const OriginResult& r, std::int64_t judged_at, const std::vector<std::string>& edges) {
    std::string tls_version = "-", days = "-", note;
    if (!r.scanned) note = "not scanned";
    if (const Probe* probe = shown_probe(r, judged_at)) {
        if (const auto* tls = std::get_if<TlsFacts>(&probe->outcome)) {
            tls_version = tls->protocol;
            if (const CertFacts* first = rules::earliest_expiry(*tls))
                days = std::to_string(days_left(first->not_after, judged_at));
            note = tls->error;
        } else if (const auto* http = std::get_if<HttpFacts>(&probe->outcome)) {
            note = (http->on_tls_port ? "HTTP on the TLS port: " : "HTTP on port " + std::to_string(http->port) + ": ") +
                   http->status_line;
        } else if (const auto* failure = std::get_if<Failure>(&probe->outcome)) {
            note = failure->detail;
        }
    }
    if (const std::string addresses = addresses_note(r, judged_at); !addresses.empty())
        note = note.empty() ? addresses : addresses + "; " + note;
    const std::string reasons = r.classification.reasons.empty() ? "-" : join(r.classification.reasons);
    Row row{{cell(r.origin.input, columns[c_origin].max), std::string(to_string(r.classification.cls)),
             std::string(to_string(r.classification.mode)), cell(tls_version, columns[c_tls].max),
             cell(days, columns[c_days].max), cell(reasons, columns[c_reasons].max),
             cell(note, columns[c_note].max)},
            mode_color(r.classification.mode),
            {}};
    // The other edges' settings, after MODE (the first judgement is Cloudflare's: MODE).
    std::vector<std::string> edge_cells;
    for (std::size_t i = 1; i < edges.size(); ++i) {
        const auto it = std::find_if(r.edges.begin(), r.edges.end(), [&](const EdgeJudgement& j) { return j.edge == edges[i]; });
        const EdgeJudgement* e = it == r.edges.end() ? nullptr : &*it;
        edge_cells.push_back(e ? cell(e->setting, 20) : std::string("-"));
        row.edge_colors.push_back(e ? rank_color(e->rank) : std::string_view{});
    }
    row.cells.insert(row.cells.begin() + c_mode + 1, edge_cells.begin(), edge_cells.end());
    return row;
}

void render_table(std::string& out, const std::vector<Row>& rows, const std::vector<Column>& table, bool color) {
    const std::size_t count = table.size();
    const std::size_t edge_columns = count - std::size(columns);
    std::vector<std::size_t> widths(count);
    for (std::size_t c = 0; c < count; ++c) {
        widths[c] = table[c].title.size();
        for (const Row& row : rows) widths[c] = std::max(widths[c], display_width(row.cells[c]));
    }
    const auto line = [&](const std::vector<std::string>& cells, const Row* row) {
        std::string text;
        for (std::size_t c = 0; c < count; ++c) {
            const bool last = c + 1 == count;
            if (c > 0) text += "  ";
            const std::string padded = last ? cells[c] : pad(cells[c], widths[c], table[c].right);
            std::string_view tint;
            if (row != nullptr && (c == c_class || c == c_mode)) tint = row->color;
            if (row != nullptr && c > c_mode && c <= c_mode + edge_columns) tint = row->edge_colors[c - c_mode - 1];
            text += colored(padded, tint, color);
        }
        while (!text.empty() && text.back() == ' ') text.pop_back();
        out += text + "\n";
    };
    std::vector<std::string> titles;
    for (const Column& column : table) titles.emplace_back(column.title);
    line(titles, nullptr);
    for (const Row& row : rows) line(row.cells, &row);
}

std::string plural(std::size_t n, std::string_view word) {
    return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}


// Violations first: they are why a CI job failed. Empty when there are none.
std::string violations_block(const Report& report, bool color) {
    std::vector<std::pair<std::string, std::string>> violations;
    for (const OriginResult& r : report.origins)
        for (const Violation v : r.verdict.violations)
            violations.emplace_back(cell(r.origin.input, columns[c_origin].max),
                                    cell(violation_message(r, v, report.judged_at, report.settings.expiry_days), 200));
    if (violations.empty()) return {};
    std::size_t width = 0;
    for (const auto& [input, message] : violations) width = std::max(width, display_width(input));
    std::string out =
        colored(std::to_string(violations.size()) + (violations.size() == 1 ? " VIOLATION:" : " VIOLATIONS:"),
                ansi::bold_red, color) +
        "\n";
    for (const auto& [input, message] : violations) out += "  " + pad(input, width, false) + "  " + message + "\n";
    return out + "\n";
}

// "strict 3, full 2, flexible 1, none 3": strongest first, the way a person reads a grade.
std::string mode_counts(const Tally& tally, bool color) {
    std::string out;
    for (auto it = std::rbegin(all_edge_modes); it != std::rend(all_edge_modes); ++it)
        out += (it == std::rbegin(all_edge_modes) ? "" : ", ") +
               colored(std::string(to_string(*it)), mode_color(*it), color) + " " +
               std::to_string(tally.by_mode[static_cast<std::size_t>(*it)]);
    return out;
}

}  // namespace

std::string render_summary(const Report& report, bool color) {
    std::string out = violations_block(report, color);

    std::vector<std::string> edge_titles;
    const std::vector<Column> table = table_columns(report, edge_titles);
    std::vector<Row> rows;
    for (const OriginResult& r : report.origins)
        rows.push_back(origin_row(r, report.judged_at, report.settings.edges));
    render_table(out, rows, table, color);
    out += "\n";
    // Said once, under the table: too long for a row's note.
    const auto origin_ca_missing = [](const OriginResult& r) {
        const auto& reasons = r.classification.reasons;
        return std::find(reasons.begin(), reasons.end(), Reason::origin_ca_not_loaded) != reasons.end();
    };
    if (std::any_of(report.origins.begin(), report.origins.end(), origin_ca_missing))
        out += "origin-ca-not-loaded: " + rules::origin_ca_note() + "\n\n";

    const Tally tally = summarize(report);
    const auto& by_class = tally.by_class;
    if (tally.total > report.origins.size())
        out += std::to_string(tally.total - report.origins.size()) +
               " more origins not listed here (see the JSON report)\n";
    out += plural(tally.total, "origin") + ", judged at " + format_rfc3339(report.judged_at) + "\n";
    out += "classes:";
    for (const OriginClass c : all_origin_classes)
        out += (c == all_origin_classes[0] ? " " : ", ") + std::string(to_string(c)) + " " +
               std::to_string(by_class[static_cast<std::size_t>(c)]);
    out += "\nmodes:   " + mode_counts(tally, color) + "\n";

    if (!report.settings.baseline_file.empty())
        out += "since the baseline: " + std::to_string(tally.downgrades) + " downgraded, " +
               std::to_string(tally.upgrades) + " upgraded, " + std::to_string(tally.added) + " new, " +
               std::to_string(report.removed.size()) + " removed\n";
    if (!report.removed.empty()) {
        out += "removed since the baseline:";
        for (std::size_t i = 0; i < report.removed.size(); ++i)
            out += (i == 0 ? " " : ", ") + cell(report.removed[i].input, columns[c_origin].max) + " (" +
                   std::string(to_string(report.removed[i].baseline_mode)) + ")";
        out += "\n";
    }
    if (!report.complete)
        out += colored("INCOMPLETE: the scan was interrupted; " + std::to_string(tally.not_scanned) + " of " +
                           plural(tally.total, "origin") + " not scanned",
                       ansi::yellow, color) +
               "\n";
    return out;
}

std::string render_quiet_summary(const Report& report, bool color) {
    const Tally tally = summarize(report);
    std::string line = plural(tally.total, "origin") + ": " + mode_counts(tally, color) + "; ";
    line += tally.violations == 0 ? std::string("no violations")
                                  : plural(tally.violations, "violation") + " in " + plural(tally.failing, "origin");
    if (!report.complete)
        line += "; " + colored("INCOMPLETE: " + std::to_string(tally.not_scanned) + " not scanned (interrupted)",
                               ansi::yellow, color);
    return violations_block(report, color) + line + "\n";
}

}  // namespace originscan::reports
