// Edges other than the default as profiles over the same facts (project issue 11): each
// edge's offer (when it documents one), its settings towards the origin in its own words, and
// what each setting needs, as data; one judgement function reads them. Cloudflare's modes stay
// the origin's class and allowed_mode (rules/classify.hpp); it is listed here too so that
// every edge is named, ranked and compared in one way.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/observation.hpp"
#include "model/result.hpp"
#include "rules/edge_profile.hpp"

namespace originscan::rules {

// What a setting of an edge needs from the origin.
struct EdgeSetting {
    std::string_view name;  // the edge's own word for it
    int rank;               // 1 plaintext, 2 TLS unauthenticated, 3 TLS authenticated
    bool tls;               // false: plain HTTP (allowed when the origin answered HTTP)
    bool trusted;           // the chain verifies to the scan's trust store, unexpired over the path
    bool name_check;        // the leaf matches the origin's name (or the rule's cert_hostname,
                            // for an edge whose setting can verify another name)
    bool chain_in_order;    // the presented chain is in issuing order
    bool pinned;            // a configured pin matches instead of trust and name (Akamai)
    bool reported = true;   // false: only a rules file names it (an alias of a reported one)
};

struct EdgeProfile {
    std::string_view id;     // the --edge word, the JSON key
    std::string_view title;  // the summary's column head
    // The edge's own documented offer when it differs from Cloudflare's: a handshake of its
    // own is made when the default one's outcome could differ (needs_own_handshake).
    // nullptr: the edge documents no origin cipher list; the default handshake stands for it.
    const EdgeOffer* offer;
    std::span<const EdgeSetting> settings;  // strongest first; "none" is implied below them
    bool other_name;  // a rule's cert_hostname is the name its settings verify
    // The lowest TLS version the edge speaks to origins ("TLS1.2"); empty: as low as its offer
    // (or the default one) goes. A handshake that settled below it from an offer reaching
    // higher says the origin speaks nothing from it up: every TLS setting is none
    // (legacy-protocol).
    std::string_view min_protocol;
    // The edge can present a client certificate of its own to an origin that asks for one
    // (mTLS towards origins). false: an origin that asks gets none from its TLS settings
    // (client-cert-required).
    bool presents_client_cert;
};

// Every edge, the default first: cloudflare, cloudfront, fastly, akamai, azure.
std::span<const EdgeProfile> edge_profiles();
const EdgeProfile* edge_profile(std::string_view id);
inline constexpr std::string_view default_edge = "cloudflare";

// --edge: a comma list of ids, or "all". Returns the ids in edge_profiles() order, Cloudflare
// always first; an unknown or empty word -> nullopt (and `bad` names it).
std::optional<std::vector<std::string>> parse_edge_list(std::string_view text, std::string& bad);

// The rank of a setting name of `profile` ("none" is 0); nullopt when it has no such setting.
std::optional<int> setting_rank(const EdgeProfile& profile, std::string_view setting);

// Whether an edge with `offer` needs a handshake of its own on this address: the default
// handshake ended in a suite, version or group outside `offer`, or the origin refused the
// default offer. When the suite chosen from the default offer is in `offer` (at that version,
// with that group), the origin takes the edge's ClientHello too (it may prefer another suite
// of it, never refuse it), so its certificate facts stand for the edge's handshake.
bool needs_own_handshake(const EdgeOffer& offer, const Probe& probe);

// The outcome the edge `profile` would meet at this address: its own handshake when one was
// made, else the default one.
const std::variant<Failure, HttpFacts, TlsFacts>& outcome_for(const EdgeProfile& profile, const Probe& probe);

// The edge's judgement of one probe / of an origin (the weakest deciding probe, as classify()).
// `pins`: the origin's configured pins; `cert_hostname`: the rule's other name to verify
// (empty: the origin's name); `without_sni`: the rule says this edge sends no SNI
// (akamai_origin_sni false), so only a handshake without SNI (Probe::offers) can judge it.
// Cloudflare's is derived from classify().
EdgeJudgement judge_edge_probe(const EdgeProfile& profile, const Probe& probe, const Origin& origin, std::int64_t now,
                               const std::vector<std::string>& pins, const std::string& cert_hostname = {},
                               bool without_sni = false);
EdgeJudgement judge_edge(const EdgeProfile& profile, const OriginResult& result, std::int64_t now,
                         const std::vector<std::string>& pins, const std::string& cert_hostname = {},
                         bool without_sni = false);

// RFC 6125 matching of a DNS name against the leaf's recorded dNSName SANs (case-insensitive,
// a wildcard covers exactly one whole left-most label). An IP name matches its iPAddress SAN.
bool leaf_names(const CertFacts& leaf, std::string_view name);

}  // namespace originscan::rules
