// An origin as the user listed it, and the pure parser for the spec syntax of PRODUCT.md:
//   NAME[:PORT][@ADDRESS[:PORT]]  and  https://NAME[:PORT][/...]
// and, for an origin with several explicit addresses (the A/AAAA records of one name in a
// zone, app/zone_import.hpp):
//   NAME[:PORT]@ADDR1,ADDR2,...   each ADDR an IP literal, IPv6 in brackets; the port, if any,
//                                 only after NAME (one port for every address)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace originscan {

struct Origin {
    std::string input;    // the spec as written (trimmed), the origin's identity in reports
    std::string name;     // SNI and verification name: lower case, no trailing dot, IPv6 unbracketed
    std::uint16_t port = 443;
    // Where to connect instead of resolving name; empty: resolve name. Either one host name
    // (resolved to all of its addresses) or one or more IP literals (IPv6 unbracketed), each
    // probed with SNI = name, the weakest deciding. The parser keeps several literals sorted
    // by their canonical text and distinct: one origin has one order.
    std::vector<std::string> addresses;
    bool name_is_ip = false;  // NAME is an IP literal: no SNI, checked against IP SANs
    std::string where;        // "FILE:LINE" or "--origin", for messages

    friend bool operator==(const Origin&, const Origin&) = default;
};

// What makes two specs the same origin (PRODUCT.md, "Outputs"): the name lower-cased without a
// trailing dot, the port, and the addresses (an IP literal in its canonical text, a host name
// like the name; several as their sorted set, so the order they were listed in does not count);
// never the text of the line. `GOOD.demo.test.:443@127.0.0.1` and
// `good.demo.test@127.0.0.1` are one origin. Compared in full; the hash only buckets them.
struct OriginIdentity {
    std::string name;
    std::uint16_t port = 443;
    std::vector<std::string> addresses;  // sorted, distinct; empty: the name is resolved

    friend bool operator==(const OriginIdentity&, const OriginIdentity&) = default;
    friend auto operator<=>(const OriginIdentity&, const OriginIdentity&) = default;
};

// Normalises again whatever the Origin holds (one built from a baseline report, say), so it
// does not rely on the parser having done so.
OriginIdentity identity_of(const Origin& origin);

struct OriginIdentityHash {
    std::size_t operator()(const OriginIdentity& id) const noexcept;
};

// The identity as text: the `id` of every origin in the JSON report and the NDJSON stream.
// NAME:PORT, or NAME:PORT@ADDRESS[,ADDRESS...] when the spec gave addresses (a name without one
// is one origin, however many addresses it resolves to); NAME and ADDRESS as in OriginIdentity,
// an IPv6 literal in brackets, the port always written. One text per identity, and itself a
// spec: `GOOD.demo.test.@127.0.0.1` is `good.demo.test:443@127.0.0.1`, and
// `a.demo.test@[::1],127.0.0.1` is `a.demo.test:443@127.0.0.1,[::1]`.
std::string identity_text(const OriginIdentity& id);

// An `id` read back: its identity when `text` is exactly identity_text's form of a valid
// origin, else nullopt (a non-canonical spelling is not an id).
std::optional<OriginIdentity> parse_identity_text(std::string_view text);

// One spec (no comment, no surrounding blanks). Either the origin or why it is malformed.
std::variant<Origin, std::string> parse_origin_spec(std::string_view spec);

struct OriginList {
    std::vector<Origin> origins;
    std::vector<std::string> errors;  // "SOURCE:LINE: why", one per bad line
};

// A list file may start with a UTF-8 byte order mark (Windows editors write one): it is not
// part of the first line.
std::string_view without_bom(std::string_view text);

// One line of a list file without its comment, line end and surrounding blanks; empty when
// the line holds no spec.
std::string_view origin_line_spec(std::string_view line);

// A whole list file (after its byte order mark, if any): '#' starts a comment, blank lines are
// skipped, every other line is a spec.
OriginList parse_origin_list(std::string_view text, std::string_view source);

}  // namespace originscan
