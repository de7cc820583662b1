// JUnit XML for CI test reporters (GitLab, Jenkins, GitHub actions): one testcase per origin,
// always; an origin with policy violations has exactly one <failure> (type: the first
// violation; message and body: all of them) carrying the facts, the others a <system-out>
// with the facts. With --edge selecting more than Cloudflare, one testcase per origin per
// edge instead (classname originscan.origins.EDGE, name "NAME [EDGE]"), in the selection's
// order, each failing on the violations that concern its edge (model/report.hpp
// edge_violations), its facts led by the edge's setting and reasons; the head counts
// testcases (Tally::cases). Validates against reports/junit.xsd. Text from
// outside (names, certificate and HTTP facts, error details) is made inert (model/text.hpp)
// before it is XML-escaped, so it can never add a line or an attribute line break of its own.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model/report.hpp"

namespace originscan::reports {

std::string render_junit(const Report& report);

// The same text in pieces, for runs too long to hold: head (counts from summarize(report)) +
// each origin's testcase in input order + tail.
std::string junit_head(const Report& report);
// `listed_more_than_once` (its OriginIdentity is on several lines): the testcase name gets where
// the line was listed, "NAME (origins.txt:12)" or "NAME (--origin 2)", so that no two testcases
// share a name (readers that key results by name would merge them). With result.edges, the
// testcases of every edge, one after the other.
std::string junit_testcase(const OriginResult& result, std::int64_t judged_at, int expiry_days,
                           bool listed_more_than_once = false);
std::string junit_tail();

// Text made safe for XML 1.0 character data and attribute values: & < > " ' as entities;
// tab, newline and carriage return as character references (so attributes keep them); what
// XML 1.0 forbids (C0 controls, U+FFFE, U+FFFF) and what would mislead a reader (DEL, C1
// controls, bidi overrides) as visible \xNN / \uNNNN; bytes that are not UTF-8 as U+FFFD.
std::string xml_escape(std::string_view text);

}  // namespace originscan::reports
