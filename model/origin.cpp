#include "model/origin.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <optional>

#include "model/text.hpp"

namespace originscan {
namespace {

constexpr std::size_t max_spec_length = 8192;  // generous for a pasted URL with a long path
constexpr std::size_t max_name_length = 253;   // RFC 1035, without the trailing dot
constexpr std::size_t max_label_length = 63;
constexpr std::size_t max_quoted_length = 64;  // keeps messages about overlong input short

// Every helper below reports failure as a message, or nullopt when all is well.
using Failure = std::optional<std::string>;

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool all_digits(std::string_view s) { return std::all_of(s.begin(), s.end(), is_digit); }

std::string_view trim(std::string_view s, std::string_view blanks) {
    auto first = s.find_first_not_of(blanks);
    if (first == std::string_view::npos) return {};
    auto last = s.find_last_not_of(blanks);
    return s.substr(first, last - first + 1);
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string hex_byte(unsigned char c) {
    constexpr char digits[] = "0123456789abcdef";
    return {digits[c >> 4], digits[c & 0xf]};
}

// User text in a message: model/text's inert_quoted(), bytes (not code points) beyond ASCII shown as
// \xNN since a spec must be ASCII, cut short when long.
std::string quote(std::string_view s) { return inert_quoted(s, max_quoted_length, Charset::ascii); }

// A number that may be absurdly long: shown unquoted, but cut short.
std::string clip(std::string_view s) {
    if (s.size() <= 20) return std::string(s);
    return std::string(s.substr(0, 20)) + "...";
}

Failure check_bytes(std::string_view spec) {
    for (char ch : spec) {
        auto c = static_cast<unsigned char>(ch);
        if (is_blank(ch)) return "unexpected space in " + quote(spec);
        if (c == 0) return "NUL byte in " + quote(spec);
        if (c < 0x20 || c == 0x7f) return "control byte 0x" + hex_byte(c) + " in " + quote(spec);
        if (c >= 0x80)
            return "non-ASCII byte 0x" + hex_byte(c) + " in " + quote(spec) +
                   " (write an internationalised name in its xn-- form)";
    }
    return std::nullopt;
}

// Strict dotted quad: exactly four decimal parts 0-255 and no leading zeros, so that no
// reader can take "010" for octal.
bool is_strict_ipv4(std::string_view s) {
    int parts = 0;
    for (;;) {
        auto dot = s.find('.');
        auto part = s.substr(0, dot);
        if (part.empty() || part.size() > 3 || !all_digits(part)) return false;
        if (part.size() > 1 && part[0] == '0') return false;
        int value = 0;
        for (char c : part) value = value * 10 + (c - '0');
        if (value > 255) return false;
        if (++parts > 4) return false;
        if (dot == std::string_view::npos) break;
        s.remove_prefix(dot + 1);
    }
    return parts == 4;
}

// inet_ntop's text is the RFC 5952 form: lower case, longest zero run as "::".
std::optional<std::string> canonical_ipv6(std::string_view s) {
    char text[INET6_ADDRSTRLEN];
    if (s.empty() || s.size() >= sizeof text) return std::nullopt;
    std::memcpy(text, s.data(), s.size());
    text[s.size()] = '\0';
    in6_addr address{};
    if (inet_pton(AF_INET6, text, &address) != 1) return std::nullopt;
    char canonical[INET6_ADDRSTRLEN];
    if (inet_ntop(AF_INET6, &address, canonical, sizeof canonical) == nullptr) return std::nullopt;
    return std::string(canonical);
}

// RFC 1123 host name, plus '_' (seen in real origin names). `name` is lower case without its
// trailing dot; `written` is what the user wrote, for the message.
Failure check_host_name(std::string_view name, std::string_view written, std::string_view what) {
    if (name.find('*') != std::string_view::npos)
        return "wildcard " + std::string(what) + " " + quote(written) +
               " not allowed (an edge sends a concrete name)";
    for (char c : name)
        if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_' && c != '.')
            return "invalid character '" + std::string(1, c) + "' in " + std::string(what) + " " +
                   quote(written);
    if (name.size() > max_name_length)
        return std::string(what) + " " + quote(written) + " longer than 253 characters";
    std::string_view rest = name;
    for (;;) {
        auto dot = rest.find('.');
        auto label = rest.substr(0, dot);
        if (label.empty()) return "empty label in " + std::string(what) + " " + quote(written);
        if (label.size() > max_label_length)
            return "label " + quote(label) + " longer than 63 characters in " + std::string(what);
        if (label.front() == '-' || label.back() == '-')
            return "label " + quote(label) + " starts or ends with '-' in " + std::string(what) +
                   " " + quote(written);
        if (dot == std::string_view::npos) break;
        rest.remove_prefix(dot + 1);
    }
    return std::nullopt;
}

// "HOST", "HOST:PORT", "[V6]" or "[V6]:PORT", split but not yet validated.
struct HostPort {
    std::string_view host;
    bool bracketed = false;
    std::optional<std::string_view> port;
};

Failure split_host_port(std::string_view text, HostPort& out) {
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos) return "missing ']' in " + quote(text);
        out.host = text.substr(1, close - 1);
        out.bracketed = true;
        auto rest = text.substr(close + 1);
        if (rest.empty()) return std::nullopt;
        if (rest.front() != ':') return "unexpected " + quote(rest) + " after ']' in " + quote(text);
        out.port = rest.substr(1);
        return std::nullopt;
    }
    auto colon = text.find(':');
    if (colon == std::string_view::npos) {
        out.host = text;
        return std::nullopt;
    }
    if (text.find(':', colon + 1) != std::string_view::npos) {
        // Without brackets "2001:db8::1:8443" could be an address or an address and a port.
        if (canonical_ipv6(text)) return "IPv6 address " + quote(text) + " must be in brackets";
        return "more than one ':' in " + quote(text);
    }
    out.host = text.substr(0, colon);
    out.port = text.substr(colon + 1);
    return std::nullopt;
}

Failure parse_port(std::string_view text, std::string_view context, std::uint16_t& port) {
    if (text.empty()) return "missing port after ':' in " + quote(context);
    if (!all_digits(text)) return "invalid port " + quote(text) + " (decimal 1-65535)";
    if (text.size() > 1 && text.front() == '0') return "invalid port " + quote(text) + " (leading zero)";
    if (text.size() > 5) return "port " + clip(text) + " out of range 1-65535";
    unsigned value = 0;
    for (char c : text) value = value * 10 + static_cast<unsigned>(c - '0');
    if (value == 0 || value > 65535) return "port " + std::string(text) + " out of range 1-65535";
    port = static_cast<std::uint16_t>(value);
    return std::nullopt;
}

struct Host {
    std::string text;  // canonical
    bool is_ip = false;
};

// `what` is "name" or "address", for messages.
Failure parse_host(const HostPort& hp, std::string_view what, Host& out) {
    if (hp.bracketed) {
        // Built by appending: GCC 12 warns falsely (-Wrestrict, bug 105329) on "[" + string.
        std::string written(1, '[');
        written.append(hp.host).push_back(']');
        if (hp.host.find('%') != std::string_view::npos)
            return "IPv6 zone id not supported in " + quote(written);
        auto canonical = canonical_ipv6(hp.host);
        if (!canonical) return "invalid IPv6 address " + quote(written);
        out = {*canonical, true};
        return std::nullopt;
    }
    // Only digits and dots: it can only be meant as an IPv4 address. Checked before the
    // trailing dot is dropped: "192.0.2.1." is not an address.
    bool numeric = hp.host.find_first_not_of("0123456789.") == std::string_view::npos &&
                   hp.host.find_first_of("0123456789") != std::string_view::npos;
    if (numeric) {
        if (!is_strict_ipv4(hp.host)) return "invalid IPv4 address " + quote(hp.host);
        out = {std::string(hp.host), true};
        return std::nullopt;
    }
    std::string_view name = hp.host;
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);  // absolute form, same name
    std::string lowered = lower(name);
    if (auto failure = check_host_name(lowered, hp.host, what)) return failure;
    out = {std::move(lowered), false};
    return std::nullopt;
}

// RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
bool is_scheme(std::string_view s) {
    if (s.empty() || !is_alpha(s.front())) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
    });
}

// "ADDR1,ADDR2,...": IP literals only (a host name is resolved to all of its own addresses),
// IPv6 in brackets (as in a single ADDRESS), no port (it goes after NAME, one for all), each
// once; sorted by canonical text, so that one origin has one order.
Failure parse_address_list(std::string_view list, std::string_view spec, std::vector<std::string>& out) {
    for (std::size_t start = 0; start <= list.size();) {
        auto comma = list.find(',', start);
        if (comma == std::string_view::npos) comma = list.size();
        const auto item = list.substr(start, comma - start);
        start = comma + 1;
        if (item.empty()) return "empty address in the list " + quote(list);
        HostPort hp;
        if (auto failure = split_host_port(item, hp)) return failure;
        if (hp.port)
            return "port after the address " + quote(item) + " in a list: write it after NAME (NAME:PORT@" +
                   "ADDR,ADDR), one port for all, in " + quote(spec);
        Host address;
        if (auto failure = parse_host(hp, "address", address)) return failure;
        if (!address.is_ip)
            return "host name " + quote(item) + " in an address list: several addresses must be IP literals";
        if (std::find(out.begin(), out.end(), address.text) != out.end())
            return "address " + quote(item) + " given twice in " + quote(spec);
        out.push_back(std::move(address.text));
    }
    std::sort(out.begin(), out.end());
    return std::nullopt;
}

}  // namespace

std::variant<Origin, std::string> parse_origin_spec(std::string_view spec) {
    spec = trim(spec, " \t\r\n");
    if (spec.empty()) return std::string("empty origin spec");
    if (spec.size() > max_spec_length)
        return "origin spec too long (" + std::to_string(spec.size()) + " bytes, at most " +
               std::to_string(max_spec_length) + ")";
    if (auto failure = check_bytes(spec)) return *failure;

    std::string_view name_part = spec;
    std::optional<std::string_view> address_part;
    if (auto scheme_end = spec.find("://");
        scheme_end != std::string_view::npos && is_scheme(spec.substr(0, scheme_end))) {
        auto scheme = lower(spec.substr(0, scheme_end));
        if (scheme != "https")
            return "unsupported scheme " + quote(scheme + "://") + " (only https:// URLs)";
        auto rest = spec.substr(scheme_end + 3);
        auto authority = rest.substr(0, rest.find_first_of("/?#"));  // path, query, fragment ignored
        if (authority.find('@') != std::string_view::npos)
            return "user info not allowed in URL " + quote(spec);
        name_part = authority;
    } else if (auto at = spec.find('@'); at != std::string_view::npos) {
        name_part = spec.substr(0, at);
        address_part = spec.substr(at + 1);
        if (address_part->find('@') != std::string_view::npos)
            return "more than one '@' in " + quote(spec);
    }

    HostPort name_hp;
    if (auto failure = split_host_port(name_part, name_hp)) return *failure;
    if (name_hp.host.empty() && !name_hp.bracketed) return "missing name in " + quote(spec);
    Host name;
    if (auto failure = parse_host(name_hp, "name", name)) return *failure;

    HostPort address_hp;
    std::vector<std::string> addresses;
    if (address_part) {
        if (address_part->empty()) return "missing address after '@' in " + quote(spec);
        if (address_part->find(',') == std::string_view::npos) {
            Host address;
            if (auto failure = split_host_port(*address_part, address_hp)) return *failure;
            if (address_hp.host.empty() && !address_hp.bracketed)
                return "missing address after '@' in " + quote(spec);
            if (auto failure = parse_host(address_hp, "address", address)) return *failure;
            addresses.push_back(std::move(address.text));
        } else if (auto failure = parse_address_list(*address_part, spec, addresses)) {
            return *failure;
        }
    }

    if (name_hp.port && address_hp.port) return "port given on both sides of '@' in " + quote(spec);
    Origin origin;
    if (auto port = name_hp.port ? name_hp.port : address_hp.port)
        if (auto failure = parse_port(*port, spec, origin.port)) return *failure;

    origin.input = std::string(spec);
    origin.name = std::move(name.text);
    origin.name_is_ip = name.is_ip;
    origin.addresses = std::move(addresses);
    return origin;
}

namespace {

// A name or address as identity: IPv6 in its RFC 5952 text, anything else lower case without a
// trailing dot. (IPv4 needs nothing: the parser accepts only the strict dotted quad.)
std::string identity_host(std::string_view host) {
    if (auto v6 = canonical_ipv6(host)) return *v6;
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);
    return lower(host);
}

}  // namespace

OriginIdentity identity_of(const Origin& origin) {
    OriginIdentity id{identity_host(origin.name), origin.port, {}};
    for (const std::string& address : origin.addresses) id.addresses.push_back(identity_host(address));
    std::sort(id.addresses.begin(), id.addresses.end());
    id.addresses.erase(std::unique(id.addresses.begin(), id.addresses.end()), id.addresses.end());
    return id;
}

std::string identity_text(const OriginIdentity& id) {
    // Only an IPv6 literal holds ':' (a host name cannot).
    const auto host = [](const std::string& h) { return h.find(':') == std::string::npos ? h : "[" + h + "]"; };
    std::string out = host(id.name) + ":" + std::to_string(id.port);
    for (std::size_t i = 0; i < id.addresses.size(); ++i) out += (i == 0 ? "@" : ",") + host(id.addresses[i]);
    return out;
}

std::optional<OriginIdentity> parse_identity_text(std::string_view text) {
    const auto parsed = parse_origin_spec(text);
    const auto* origin = std::get_if<Origin>(&parsed);
    if (origin == nullptr) return std::nullopt;
    OriginIdentity id = identity_of(*origin);
    if (identity_text(id) != text) return std::nullopt;  // a URL, blanks, another spelling
    return id;
}

std::size_t OriginIdentityHash::operator()(const OriginIdentity& id) const noexcept {
    // boost::hash_combine's mixing: the name, the port, then each address.
    const auto combine = [](std::size_t seed, std::size_t value) {
        return seed ^ (value + 0x9e3779b97f4a7c15ull + (seed << 6) + (seed >> 2));
    };
    std::size_t h = combine(std::hash<std::string_view>{}(id.name), id.port);
    for (const std::string& address : id.addresses) h = combine(h, std::hash<std::string_view>{}(address));
    return h;
}

std::string_view origin_line_spec(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // '#' starts a comment where a token could start; inside a token (a URL fragment) it
    // is part of the spec.
    for (std::size_t i = 0; i < line.size(); ++i)
        if (line[i] == '#' && (i == 0 || is_blank(line[i - 1]))) {
            line = line.substr(0, i);
            break;
        }
    return trim(line, " \t");
}

std::string_view without_bom(std::string_view text) {
    constexpr std::string_view bom = "\xEF\xBB\xBF";
    if (text.substr(0, bom.size()) == bom) text.remove_prefix(bom.size());
    return text;
}

OriginList parse_origin_list(std::string_view text, std::string_view source) {
    OriginList list;
    text = without_bom(text);
    std::size_t line_number = 0;
    for (std::size_t start = 0; start <= text.size();) {
        auto end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        const auto spec = origin_line_spec(text.substr(start, end - start));
        start = end + 1;
        ++line_number;
        if (spec.empty()) continue;

        std::string where = std::string(source) + ":" + std::to_string(line_number);
        auto parsed = parse_origin_spec(spec);
        if (auto* origin = std::get_if<Origin>(&parsed)) {
            origin->where = std::move(where);
            list.origins.push_back(std::move(*origin));
        } else {
            list.errors.push_back(where + ": " + std::get<std::string>(parsed));
        }
    }
    return list;
}

}  // namespace originscan
