#include "app/zone_import.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "model/origin.hpp"
#include "model/text.hpp"

namespace originscan::app {
namespace {

// One DNS record, from either export.
struct Record {
    std::string name;     // absolute, lower case, no trailing dot
    std::string type;     // upper case
    std::string content;  // A/AAAA: the canonical address; CNAME: the absolute target
    bool proxied = false;
    std::string where;
};

constexpr std::size_t max_shown = 64;  // user text quoted in a message

std::string shown(std::string_view text) { return inert_quoted(text, max_shown, Charset::ascii); }

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return out;
}

bool is_address_type(std::string_view type) { return type == "A" || type == "AAAA"; }
bool is_origin_type(std::string_view type) { return is_address_type(type) || type == "CNAME"; }

// The record's address in canonical text (inet_ntop: RFC 5952 for IPv6), or a reason.
std::optional<std::string> canonical_address(std::string_view type, std::string_view text, std::string& why) {
    const int family = type == "A" ? AF_INET : AF_INET6;
    char buffer[INET6_ADDRSTRLEN] = {};
    unsigned char bytes[sizeof(in6_addr)];
    if (text.size() < sizeof buffer) {
        std::memcpy(buffer, text.data(), text.size());
        if (inet_pton(family, buffer, bytes) == 1 && inet_ntop(family, bytes, buffer, sizeof buffer) != nullptr)
            return std::string(buffer);
    }
    why = std::string(type) + " record content " + shown(text) + " is not an " +
          (family == AF_INET ? "IPv4" : "IPv6") + " address";
    return std::nullopt;
}

bool is_wildcard(std::string_view name) { return name == "*" || name.substr(0, 2) == "*."; }

// One origin per CNAME, one per name for its A/AAAA records (each address once), in the order
// of each origin's first record.
ZoneImport origins_of(const std::vector<Record>& records, bool all_records) {
    ZoneImport out;
    std::map<std::string, std::size_t> group_of;       // name -> its A/AAAA origin in `out`
    std::vector<std::vector<std::string>> addresses;  // per origin; empty for a CNAME
    for (const Record& r : records) {
        if (!is_origin_type(r.type)) {
            ++out.counts.other_type;
        } else if (is_wildcard(r.name)) {
            ++out.counts.wildcard;
        } else if (!r.proxied && !all_records) {
            ++out.counts.dns_only;
        } else if (r.type == "CNAME") {
            out.origins.push_back({r.name + "@" + r.content, r.where});
            addresses.emplace_back();
        } else {
            const auto [it, first] = group_of.try_emplace(r.name, out.origins.size());
            if (first) {
                out.origins.push_back({r.name, r.where});
                addresses.emplace_back();
            }
            auto& list = addresses[it->second];
            if (std::find(list.begin(), list.end(), r.content) == list.end()) list.push_back(r.content);
        }
    }
    for (std::size_t i = 0; i < out.origins.size(); ++i) {
        auto& list = addresses[i];
        std::sort(list.begin(), list.end());  // the order the spec parser keeps
        for (std::size_t j = 0; j < list.size(); ++j) {
            const std::string& a = list[j];
            out.origins[i].spec += (j == 0 ? "@" : ",") + (a.find(':') == std::string::npos ? a : "[" + a + "]");
        }
    }
    out.counts.origins = out.origins.size();
    return out;
}

// ---- BIND -------------------------------------------------------------------------------------

struct Token {
    std::string text;
    bool quoted = false;
};

// The zone file's lines, as records: a record is one line, or several inside ( ... ).
class BindReader {
public:
    BindReader(std::string_view text, std::string_view source) : text_(text), source_(source) {}

    std::vector<Record> read() {
        std::size_t number = 0;
        for (std::size_t start = 0; start < text_.size();) {
            auto end = text_.find('\n', start);
            if (end == std::string_view::npos) end = text_.size();
            std::string_view line = text_.substr(start, end - start);
            start = end + 1;
            ++number;
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            if (!in_parens_) {
                tokens_.clear();
                comment_.clear();
                line_ = number;
                owner_blank_ = line.empty() || line.front() == ' ' || line.front() == '\t';
            }
            tokenize(line);
            if (!in_parens_ && !tokens_.empty()) record();
        }
        if (in_parens_) fail(line_, "'(' not closed before the end of the file");
        return std::move(records_);
    }

private:
    [[noreturn]] void fail(std::size_t line, const std::string& why) const {
        throw ZoneError(std::string(source_) + ":" + std::to_string(line) + ": " + why);
    }

    void tokenize(std::string_view line) {
        for (std::size_t i = 0; i < line.size();) {
            const char c = line[i];
            if (c == ' ' || c == '\t') {
                ++i;
            } else if (c == ';') {
                comment_.append(line.substr(i + 1)).push_back(' ');
                return;
            } else if (c == '(' || c == ')') {
                if ((c == '(') == in_parens_) fail(line_, c == '(' ? "'(' inside '('" : "')' without '('");
                in_parens_ = c == '(';
                ++i;
            } else if (c == '"') {
                Token token{{}, true};
                for (++i;; ++i) {
                    if (i >= line.size()) fail(line_, "quoted string not closed on its line");
                    if (line[i] == '"') break;
                    if (line[i] == '\\' && i + 1 < line.size()) token.text.push_back(line[i++]);
                    token.text.push_back(line[i]);
                }
                ++i;
                tokens_.push_back(std::move(token));
            } else {
                Token token;
                while (i < line.size() && std::strchr(" \t;()\"", line[i]) == nullptr) {
                    if (line[i] == '\\' && i + 1 < line.size()) token.text.push_back(line[i++]);
                    token.text.push_back(line[i++]);
                }
                tokens_.push_back(std::move(token));
            }
        }
    }

    // NAME as written, made absolute against $ORIGIN: '@' is the origin, a name ending in '.'
    // is absolute already, any other is relative to the origin.
    std::string absolute(const std::string& name) const {
        if (name == "@" || (!name.empty() && name.back() != '.')) {
            if (!origin_) fail(line_, "relative name " + shown(name) + " before any $ORIGIN");
            if (name == "@") return *origin_;
            return lower(name) + (origin_->empty() ? "" : "." + *origin_);
        }
        std::string_view bare(name);
        bare.remove_suffix(1);
        return lower(bare);
    }

    static bool is_ttl(std::string_view t) {
        return !t.empty() && t.front() >= '0' && t.front() <= '9' &&
               t.find_first_not_of("0123456789smhdwSMHDW") == std::string_view::npos;
    }
    static bool is_class(std::string_view t) {
        const std::string u = upper(t);
        return u == "IN" || u == "CH" || u == "HS" || u == "CS";
    }

    void directive() {
        const std::string name = upper(tokens_[0].text);
        if (name == "$ORIGIN") {
            if (tokens_.size() != 2) fail(line_, "$ORIGIN takes one name");
            const std::string& value = tokens_[1].text;
            if (value == ".") {
                origin_ = "";
            } else if (value.back() == '.') {
                origin_ = absolute(value);
            } else {
                if (!origin_) fail(line_, "relative $ORIGIN " + shown(value) + " before any absolute one");
                origin_ = absolute(value);
            }
        } else if (name == "$TTL") {
            if (tokens_.size() != 2 || !is_ttl(tokens_[1].text)) fail(line_, "$TTL takes one TTL (seconds, or 1h30m)");
        } else if (name == "$INCLUDE" || name == "$GENERATE") {
            fail(line_, name + " is not supported in a zone export (list the records themselves)");
        } else {
            fail(line_, "unknown directive " + shown(tokens_[0].text));
        }
    }

    void record() {
        if (!owner_blank_ && !tokens_[0].quoted && !tokens_[0].text.empty() && tokens_[0].text.front() == '$')
            return directive();
        std::size_t i = 0;
        Record r;
        if (owner_blank_) {
            if (owner_.empty()) fail(line_, "a record without a name, and no record before it to take it from");
            r.name = owner_;
        } else {
            r.name = owner_ = absolute(tokens_[i++].text);
        }
        for (int k = 0; k < 2 && i < tokens_.size() && !tokens_[i].quoted &&
                        (is_ttl(tokens_[i].text) || is_class(tokens_[i].text));
             ++k)
            ++i;
        if (i >= tokens_.size()) fail(line_, "missing record type for " + shown(r.name));
        r.type = upper(tokens_[i++].text);
        r.where = std::string(source_) + ":" + std::to_string(line_);
        r.proxied = comment_.find("cf-proxied:true") != std::string::npos;
        if (is_origin_type(r.type)) {
            if (tokens_.size() - i != 1)
                fail(line_, r.type + " record for " + shown(r.name) + " needs exactly one value, found " +
                                std::to_string(tokens_.size() - i));
            const std::string& value = tokens_[i].text;
            if (r.type == "CNAME") {
                r.content = absolute(value);
            } else {
                std::string why;
                auto address = canonical_address(r.type, value, why);
                if (!address) fail(line_, why);
                r.content = std::move(*address);
            }
        }
        records_.push_back(std::move(r));
    }

    std::string_view text_, source_;
    std::optional<std::string> origin_;  // $ORIGIN, without its trailing dot ("" for the root)
    std::string owner_;                  // the last record's name
    std::vector<Token> tokens_;
    std::string comment_;
    std::size_t line_ = 0;  // the current record's first line
    bool owner_blank_ = false;
    bool in_parens_ = false;
    std::vector<Record> records_;
};

// ---- API JSON ----------------------------------------------------------------------------------

using nlohmann::json;

// nlohmann's messages start with "[json.exception.parse_error.101] ": not the user's business.
std::string json_message(const json::exception& e) {
    std::string text = e.what();
    if (const auto close = text.find("] "); text.front() == '[' && close != std::string::npos) text.erase(0, close + 2);
    return text;
}

class ApiReader {
public:
    explicit ApiReader(std::string_view source) : source_(source) {}

    std::vector<Record> read(std::string_view text) {
        try {
            const json whole = json::parse(text.begin(), text.end());
            if (whole.is_array()) {
                for (std::size_t p = 0; p < whole.size(); ++p)
                    page(whole[p], std::string(source_) + ": ", "[" + std::to_string(p) + "]",
                         std::string(source_) + ":[" + std::to_string(p) + "].");
            } else {
                page(whole, std::string(source_) + ": ", "", std::string(source_) + ":");
            }
            return std::move(records_);
        } catch (const json::parse_error& whole_error) {
            if (!json_lines(text)) throw ZoneError(std::string(source_) + ": " + json_message(whole_error));
        }
        std::size_t number = 0;
        for (std::size_t start = 0; start < text.size();) {
            auto end = text.find('\n', start);
            if (end == std::string_view::npos) end = text.size();
            const std::string_view line = text.substr(start, end - start);
            start = end + 1;
            ++number;
            if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
            const std::string at = std::string(source_) + ":" + std::to_string(number);
            json value;
            try {
                value = json::parse(line.begin(), line.end());
            } catch (const json::parse_error& e) {
                throw ZoneError(at + ": " + json_message(e));
            }
            page(value, at + ": ", "", at + ":");
        }
        return std::move(records_);
    }

private:
    // Several pages one a line: the first non-blank line is a whole JSON value of its own.
    static bool json_lines(std::string_view text) {
        const auto first = text.find_first_not_of(" \t\r\n");
        const auto line = text.substr(first, text.find('\n', first) - first);
        return json::accept(line.begin(), line.end()) && text.find_first_not_of(" \t\r\n", first + line.size()) != std::string_view::npos;
    }

    // `prefix` starts every message (FILE: or FILE:LINE:), `path` is the page's JSON path,
    // `where` the origin's location before "result[i]".
    void page(const json& p, const std::string& prefix, const std::string& path, const std::string& where) {
        const auto fail = [&](const std::string& at, const std::string& why) {
            throw ZoneError(prefix + (at.empty() ? "" : at + ": ") + why);
        };
        const auto member = [&](const std::string& at, std::string_view key) { return at + (at.empty() ? "" : ".") + std::string(key); };
        if (!p.is_object()) fail(path, "expected a page of the DNS records API (an object with \"result\")");
        if (const auto it = p.find("success"); it != p.end() && *it == false)
            fail(member(path, "success"), "false: an API error response, not a record list");
        const auto result = p.find("result");
        if (result == p.end() || !result->is_array())
            fail(member(path, "result"), result == p.end() ? "missing" : "expected an array of records");
        for (std::size_t i = 0; i < result->size(); ++i) {
            const json& r = (*result)[i];
            const std::string at = member(path, "result") + "[" + std::to_string(i) + "]";
            if (!r.is_object()) fail(at, "expected a record object");
            const auto text_of = [&](std::string_view key) -> std::string {
                const auto it = r.find(key);
                if (it == r.end() || !it->is_string()) fail(member(at, key), it == r.end() ? "missing" : "expected a string");
                return it->get<std::string>();
            };
            Record record;
            record.name = lower(text_of("name"));
            if (!record.name.empty() && record.name.back() == '.') record.name.pop_back();
            record.type = upper(text_of("type"));
            record.where = where + "result[" + std::to_string(i) + "]";
            if (const auto proxied = r.find("proxied"); proxied != r.end()) {
                if (!proxied->is_boolean()) fail(member(at, "proxied"), "expected true or false");
                record.proxied = proxied->get<bool>();
            }
            if (is_origin_type(record.type)) {
                const std::string content = text_of("content");
                if (record.type == "CNAME") {
                    record.content = lower(content);
                    if (!record.content.empty() && record.content.back() == '.') record.content.pop_back();
                    if (record.content.empty()) fail(member(at, "content"), "empty CNAME target");
                } else {
                    std::string why;
                    auto address = canonical_address(record.type, content, why);
                    if (!address) fail(member(at, "content"), why);
                    record.content = std::move(*address);
                }
            }
            records_.push_back(std::move(record));
        }
    }

    std::string_view source_;
    std::vector<Record> records_;
};

}  // namespace

ZoneCounts& ZoneCounts::operator+=(const ZoneCounts& other) {
    origins += other.origins;
    wildcard += other.wildcard;
    other_type += other.other_type;
    dns_only += other.dns_only;
    return *this;
}

ZoneImport import_cloudflare_dns(std::string_view text, std::string_view source, bool all_records) {
    text = without_bom(text);
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) throw ZoneError(std::string(source) + ": empty (not a zone export)");
    const bool api = text[first] == '{' || text[first] == '[';
    const std::vector<Record> records = api ? ApiReader(source).read(text) : BindReader(text, source).read();
    return origins_of(records, all_records);
}

std::string zone_summary(const ZoneCounts& c) {
    return "from the zone: " + std::to_string(c.origins) + " origin" + (c.origins == 1 ? "" : "s") + "; skipped " +
           std::to_string(c.wildcard) + " wildcard, " + std::to_string(c.other_type) + " other-type, " +
           std::to_string(c.dns_only) + " DNS-only record" + (c.wildcard + c.other_type + c.dns_only == 1 ? "" : "s");
}

}  // namespace originscan::app
