// An origin as the user listed it, and the pure parser for the spec syntax of PRODUCT.md:
//   NAME[:PORT][@ADDRESS[:PORT]]  and  https://NAME[:PORT][/...]
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace originscan {

struct Origin {
    std::string input;    // the spec as written (trimmed), the origin's identity in reports
    std::string name;     // SNI and verification name: lower case, no trailing dot, IPv6 unbracketed
    std::uint16_t port = 443;
    std::string address;  // where to connect instead of resolving name; empty: resolve name.
                          // An IP literal (IPv6 unbracketed) or a host name.
    bool name_is_ip = false;  // NAME is an IP literal: no SNI, checked against IP SANs
    std::string where;        // "FILE:LINE" or "--origin", for messages

    friend bool operator==(const Origin&, const Origin&) = default;
};

// One spec (no comment, no surrounding blanks). Either the origin or why it is malformed.
std::variant<Origin, std::string> parse_origin_spec(std::string_view spec);

struct OriginList {
    std::vector<Origin> origins;
    std::vector<std::string> errors;  // "SOURCE:LINE: why", one per bad line
};

// One line of a list file without its comment, line end and surrounding blanks; empty when
// the line holds no spec.
std::string_view origin_line_spec(std::string_view line);

// A whole list file: '#' starts a comment, blank lines are skipped, every other line is a spec.
OriginList parse_origin_list(std::string_view text, std::string_view source);

}  // namespace originscan
