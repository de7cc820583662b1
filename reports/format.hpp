// Helpers shared by the report writers: RFC 3339 times, the probe whose facts
// a report shows, and the one-line explanation of a policy violation (summary and JUnit agree).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/observation.hpp"
#include "model/time.hpp"
#include "model/result.hpp"
#include "model/text.hpp"  // inert(), decode_utf8(): the one escaping policy

namespace originscan::reports {

// parse_rfc3339 (model/time.hpp) keeping milliseconds: Unix ms, digits of the fraction beyond
// milliseconds dropped; nullopt when malformed. Formatting is model/time.hpp's.
std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text);

// Whole days from `at` to `not_after`, rounded down: -1 as soon as the certificate expired.
std::int64_t days_left(std::int64_t not_after, std::int64_t at);

// The probe whose facts a report shows at the origin level: the only one, or the one that
// decided the class (rules::deciding_probe); nullptr when nothing was probed.
const Probe* shown_probe(const OriginResult& result, std::int64_t judged_at);

// For an origin probed at several addresses, which of them are the weakest, e.g.
// "weakest of 3 addresses: 1 self-signed (127.0.0.66)" or "all 3 addresses ca-trusted", and
// "; only 16 of 20 addresses probed" when the name had more than the scanner probes. Empty
// for one address.
std::string addresses_note(const OriginResult& result, std::int64_t judged_at);

// A sentence a person understands in a CI UI, e.g.
// "downgrade: allowed mode fell from strict to full (self-signed: unknown-issuer)", with the
// addresses_note after the reasons for an origin of several addresses. Below-required and
// downgrade name each edge whose part applies (--edge). With `edge` (an id of result.edges),
// only that edge's part (model/report.hpp concerns_edge), e.g. "downgrade: cloudfront fell
// from https-only to none (none: incomplete-chain)" with the edge's setting and reasons in the
// brackets; the other violations read the same for every edge.
std::string violation_message(const OriginResult& result, Violation violation,
                              std::int64_t judged_at, int expiry_days, std::string_view edge = {});

// An origin's identity (model/origin.hpp identity_of) as text: "name:port" or
// "name:port@address", an IPv6 literal in brackets ("[::1]:443"). Every spelling of one
// origin gives the same text.
std::string identity_text(const Origin& origin);

// "self-signed: expired, hostname-mismatch" or "ca-trusted" when there are no reasons.
std::string class_and_reasons(const Classification& classification);

}  // namespace originscan::reports
