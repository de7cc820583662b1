// The rules file (--rules): per name or *.suffix pattern, a minimum mode and pins. Strictly
// parsed: an unknown key, an unknown mode, a malformed pin or pattern is an error.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/enums.hpp"
#include "model/report.hpp"
#include "model/result.hpp"

namespace originscan::rules {

struct Rule {
    std::string match;  // exact lower-case name, or "*.suffix"
    std::optional<EdgeMode> min_mode;
    std::vector<std::string> pins;  // "sha256/BASE64", validated
    // "client_auth": "required": the origin must demand a client certificate (Authenticated
    // Origin Pulls); one that completes a handshake without asking is client-auth-missing.
    bool client_auth_required = false;
    // "edge_min_mode": {"cloudfront": "https-only", ...}: per other edge (rules/edges.hpp), the
    // weakest of its settings the origin must allow, in that edge's words; judged only when the
    // edge is selected (--edge); lower is below-required.
    std::vector<std::pair<std::string, std::string>> edge_min_modes;
    // "cert_hostname": the name the edges that can verify another one check the leaf against
    // (Fastly ssl_cert_hostname, Akamai customValidCnValues, Azure CustomCertificateSubject).
    std::string cert_hostname;
    // "client_cert" / "client_key": the PEM pair this origin is shown when it asks for a client
    // certificate (per-hostname Authenticated Origin Pulls), instead of --client-cert. Both or
    // neither; a relative path is taken beside the rules file.
    std::string client_cert;
    std::string client_key;
    // "akamai_origin_sni": false: Akamai's Origin Server behavior with originSni off, so its
    // handshake carries no SNI and the origin shows its default certificate. Akamai is then
    // judged from a handshake without SNI (edges_without_sni).
    bool akamai_origin_sni = true;
};

struct Policy {
    std::vector<Rule> rules;
};

// what(): "FILE:LINE:COLUMN: why" or "FILE: rules[3].min_mode: why".
struct PolicyError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// JSON with // and /* */ comments. Throws PolicyError.
Policy parse_policy(std::string_view text, std::string_view source);

// The rule for a name: exact beats wildcard, among wildcards the longest suffix wins.
// "*.example.com" matches "a.example.com" and "a.b.example.com", not "example.com".
const Rule* match_rule(const Policy& policy, std::string_view name);

// The distinct client_cert/client_key pairs of the rules (what the scanner loads once), and
// which one an origin is shown: the pair of the rule that matches its name (nullopt: none,
// --client-cert applies). `of_origin` refers to `policy`, which must outlive it; it is a pure
// lookup, safe from any thread.
struct ClientIdentities {
    std::vector<std::pair<std::string, std::string>> pairs;
    std::function<std::optional<std::size_t>(const Origin&)> of_origin;
};
ClientIdentities client_identities(const Policy& policy);

// The edges among `edges` (the --edge selection) that reach this origin without SNI, by its
// rule ("akamai_origin_sni": false names akamai): what the scanner makes one more handshake
// without SNI for, recorded under those ids (Probe::offers). An empty function when no rule
// asks it of a selected edge. It refers to `policy`, which must outlive it; a pure lookup,
// safe from any thread.
std::function<std::vector<std::string>(const Origin&)> edges_without_sni(const Policy& policy,
                                                                        const std::vector<std::string>& edges);

// "sha256/" + base64 of 32 bytes (44 characters, one '=' of padding).
bool is_valid_pin(std::string_view pin);

// The verdict on one origin whose classification is already made. `baseline` is the mode
// the baseline report gave the same origin (nullopt: not in the baseline; `have_baseline`
// false: no --baseline at all).
Verdict judge(const OriginResult& result, const Rule* rule, bool have_baseline,
              std::optional<EdgeMode> baseline, const ScanSettings& settings, std::int64_t now);

// Judges origins in any order as a scan completes them, from several threads at once:
// classification (with the matching rule's pins) and verdict (rule, baseline). Remembers which
// baseline origins it has seen, so removed() (called after the last judge()) can name the rest.
// Origins are matched by identity (identity_of), never by their text. Baseline entries of
// one identity (a duplicated line, one entry per line) count once: the first decides.
// `policy`, `baseline` and `settings` must outlive it.
class Judge {
public:
    Judge(const Policy& policy, const Report* baseline, const ScanSettings& settings, std::int64_t now);
    void judge(OriginResult& result);            // fills classification and verdict
    // An origin read back from a report (merge): its classification stands (the scan judged
    // the facts whole; a report does not keep every one, such as the suite's code point),
    // unless the policy gives it other pins than it was classified with, then it is classified
    // again from the facts read back; the verdict is always made again.
    void rejudge(OriginResult& result);
    std::vector<RemovedOrigin> removed() const;  // baseline origins never judged, baseline order

private:
    void judge(OriginResult& result, bool classified);
    void judge_edges(OriginResult& result, const Rule* rule, bool keep_judged,
                     const std::vector<EdgeJudgement>* baseline_edges) const;  // the other selected edges
    struct Previous {
        std::optional<EdgeMode> mode;  // nullopt: the baseline run never finished it
        std::vector<EdgeJudgement> edges;  // the other edges' judgements, when it had them
        std::atomic<bool> seen{false};
    };
    const Policy& policy_;
    const Report* baseline_;
    const ScanSettings& settings_;
    std::int64_t now_;
    std::unordered_map<OriginIdentity, Previous, OriginIdentityHash> previous_;
};

// Fills classification and verdict of every origin in the report, and report.removed, from
// the policy and an optional baseline report.
void judge_report(Report& report, const Policy& policy, const Report* baseline);

// Exit status per PRODUCT.md: 0 all good, 1 any violation.
int exit_status(const Report& report);

inline constexpr int exit_ok = 0;
inline constexpr int exit_policy = 1;
inline constexpr int exit_usage = 2;
inline constexpr int exit_internal = 3;
inline constexpr int exit_interrupted = 130;

}  // namespace originscan::rules
