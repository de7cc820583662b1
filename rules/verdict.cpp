// Verdicts: each origin's mode against the rules file, the baseline and --fail-on.
#include <algorithm>
#include <string>
#include <unordered_set>
#include <variant>

#include "rules/classify.hpp"
#include "rules/edge_ranges.hpp"
#include "rules/edges.hpp"
#include "rules/policy.hpp"

namespace originscan::rules {
namespace {

constexpr std::int64_t seconds_per_day = 86400;

bool fails_on(const ScanSettings& settings, Violation violation) {
    return std::find(settings.fail_on.begin(), settings.fail_on.end(), violation) !=
           settings.fail_on.end();
}

// Any certificate on a validity path seen, at any address, that is expired or expires within
// the horizon: an intermediate or anchor that expires first breaks the origin first.
bool path_expiring(const Observation& observation, std::int64_t now, int expiry_days) {
    const std::int64_t horizon = std::int64_t{expiry_days} * seconds_per_day;
    for (const auto& probe : observation.probes) {
        const auto* tls = std::get_if<TlsFacts>(&probe.outcome);
        const CertFacts* first = tls ? earliest_expiry(*tls) : nullptr;
        if (first != nullptr && first->not_after - now < horizon) return true;
    }
    return false;
}

// A handshake completed at some address without a CertificateRequest: anyone, not only the
// edge, can reach the origin there.
bool answers_without_client_auth(const Observation& observation) {
    return std::any_of(observation.probes.begin(), observation.probes.end(), [](const Probe& probe) {
        const auto* tls = std::get_if<TlsFacts>(&probe.outcome);
        return tls != nullptr && tls->handshake_completed && !tls->client_cert_requested;
    });
}

Change compare(bool have_baseline, std::optional<EdgeMode> baseline, EdgeMode now) {
    if (!have_baseline) return Change::none;
    if (!baseline) return Change::added;
    if (now < *baseline) return Change::downgrade;
    if (now > *baseline) return Change::upgrade;
    return Change::same;
}

}  // namespace

Verdict judge(const OriginResult& result, const Rule* rule, bool have_baseline,
              std::optional<EdgeMode> baseline, const ScanSettings& settings, std::int64_t now) {
    const Classification& classification = result.classification;
    const EdgeMode mode = classification.mode;

    Verdict verdict;
    if (rule != nullptr) {
        verdict.required_mode = rule->min_mode;
        verdict.pins = rule->pins;
    }
    if (have_baseline) verdict.baseline_mode = baseline;
    verdict.change = compare(have_baseline, verdict.baseline_mode, mode);

    // Pushed in enum order, so violations come out sorted.
    if (verdict.required_mode && mode < *verdict.required_mode)
        verdict.violations.push_back(Violation::below_required);
    if (verdict.change == Change::downgrade) verdict.violations.push_back(Violation::downgrade);
    const auto& reasons = classification.reasons;
    if (std::find(reasons.begin(), reasons.end(), Reason::pin_mismatch) != reasons.end())
        verdict.violations.push_back(Violation::pin_mismatch);
    if (fails_on(settings, Violation::unreachable) &&
        classification.cls == OriginClass::unreachable)
        verdict.violations.push_back(Violation::unreachable);
    if (fails_on(settings, Violation::expiring) &&
        path_expiring(result.observation, now, settings.expiry_days))
        verdict.violations.push_back(Violation::expiring);
    // Always, whatever the other addresses gave: the edge was never the origin, and the list
    // must name the origin's own address.
    if (std::any_of(result.observation.probes.begin(), result.observation.probes.end(), is_edge_probe))
        verdict.violations.push_back(Violation::edge_address);
    if (rule != nullptr && rule->client_auth_required && answers_without_client_auth(result.observation))
        verdict.violations.push_back(Violation::client_auth_missing);
    return verdict;
}

Judge::Judge(const Policy& policy, const Report* baseline, const ScanSettings& settings, std::int64_t now)
    : policy_(policy), baseline_(baseline), settings_(settings), now_(now) {
    if (baseline == nullptr) return;
    for (const auto& old : baseline->origins) {
        // The first entry of an identity decides (a report repeats a duplicated origin's one
        // result for each of its lines). An origin the baseline run never finished has no
        // mode to compare with.
        const auto [it, first] = previous_.try_emplace(identity_of(old.origin));
        if (first && old.scanned) {
            it->second.mode = old.classification.mode;
            it->second.edges = old.edges;
        }
    }
}

void Judge::judge(OriginResult& result) { judge(result, /*classified=*/false); }

void Judge::rejudge(OriginResult& result) { judge(result, /*classified=*/true); }

void Judge::judge(OriginResult& result, bool classified) {
    const Rule* rule = match_rule(policy_, result.origin.name);
    std::optional<EdgeMode> baseline_mode;
    const std::vector<EdgeJudgement>* baseline_edges = nullptr;
    if (const auto it = previous_.find(identity_of(result.origin)); it != previous_.end()) {
        it->second.seen.store(true, std::memory_order_relaxed);
        baseline_mode = it->second.mode;
        baseline_edges = &it->second.edges;
    }
    if (!result.scanned) {
        // Interrupted before this origin finished: nothing to judge, nothing compared; the
        // interrupted run has its own exit status.
        result.classification = {OriginClass::unreachable, EdgeMode::none, {Reason::not_scanned}};
        result.verdict = {};
        if (rule != nullptr) {
            result.verdict.required_mode = rule->min_mode;
            result.verdict.pins = rule->pins;
        }
        result.verdict.baseline_mode = baseline_mode;
        judge_edges(result, rule, /*keep_judged=*/false, nullptr);
        return;
    }
    static const std::vector<std::string> no_pins;
    const std::vector<std::string>& pins = rule ? rule->pins : no_pins;
    // A merge (classified) keeps the shard's per-edge judgements as it keeps its class: the
    // report holds the edges' verdicts, not every fact they were drawn from (another offer's
    // handshake). Pins changed by the merge's rules: judged again from what was read.
    const bool keep_edges = classified && pins == result.verdict.pins && result.edges.size() == settings_.edges.size();
    if (!classified || pins != result.verdict.pins) result.classification = classify(result.observation, now_, pins);
    result.verdict = rules::judge(result, rule, baseline_ != nullptr, baseline_mode, settings_, now_);
    judge_edges(result, rule, keep_edges, baseline_edges);
}

void Judge::judge_edges(OriginResult& result, const Rule* rule, bool keep_judged,
                        const std::vector<EdgeJudgement>* baseline_edges) const {
    if (settings_.edges.size() <= 1) {  // Cloudflare alone: the class and mode say it all
        result.edges.clear();
        return;
    }
    if (keep_judged) {  // read back (in the reader's key order): put in the selection's order
        std::vector<EdgeJudgement> ordered;
        for (const auto& id : settings_.edges) {
            const auto it = std::find_if(result.edges.begin(), result.edges.end(),
                                         [&](const EdgeJudgement& e) { return e.edge == id; });
            if (it == result.edges.end()) break;
            ordered.push_back(std::move(*it));
        }
        keep_judged = ordered.size() == settings_.edges.size();
        result.edges = std::move(ordered);
    }
    if (!keep_judged) result.edges.clear();
    static const std::vector<std::string> no_pins;
    static const std::string no_name;
    bool below = false, downgraded = false;
    for (std::size_t i = 0; i < settings_.edges.size(); ++i) {
        const auto& id = settings_.edges[i];
        const EdgeProfile* profile = edge_profile(id);
        if (profile == nullptr) continue;
        if (!keep_judged)
            result.edges.push_back(judge_edge(*profile, result, now_, rule ? rule->pins : no_pins,
                                              rule ? rule->cert_hostname : no_name,
                                              rule && !rule->akamai_origin_sni && id == "akamai"));
        auto& judged = keep_judged ? result.edges[i] : result.edges.back();
        judged.required_setting.clear();
        judged.baseline_setting.clear();
        judged.below_required = judged.downgraded = false;
        // Cloudflare's own verdict is the class's mode (rules::judge); here only the others'.
        if (!result.scanned || id == "cloudflare") continue;
        if (rule != nullptr)
            for (const auto& [edge, setting] : rule->edge_min_modes)
                if (edge == id) {
                    judged.required_setting = setting;
                    judged.below_required = judged.rank < setting_rank(*profile, setting).value_or(0);
                }
        // The baseline compares per edge too: a lower rank than the baseline's for that edge is
        // a downgrade, as a lower Cloudflare mode is (a baseline without the edge says nothing).
        if (baseline_edges != nullptr)
            for (const auto& old : *baseline_edges)
                if (old.edge == id) {
                    judged.baseline_setting = old.setting;
                    judged.downgraded = judged.rank < old.rank;
                }
        below = below || judged.below_required;
        downgraded = downgraded || judged.downgraded;
    }
    // One below-required (downgrade) for the origin, whichever edge (or Cloudflare's mode) it is.
    auto& violations = result.verdict.violations;
    const auto add = [&](Violation v) {
        if (std::find(violations.begin(), violations.end(), v) != violations.end()) return;
        violations.insert(std::upper_bound(violations.begin(), violations.end(), v), v);  // enum order
    };
    if (below) add(Violation::below_required);
    if (downgraded) add(Violation::downgrade);
}

std::vector<RemovedOrigin> Judge::removed() const {
    std::vector<RemovedOrigin> removed;
    if (baseline_ == nullptr) return removed;
    std::unordered_set<OriginIdentity, OriginIdentityHash> listed;
    for (const auto& old : baseline_->origins) {
        OriginIdentity id = identity_of(old.origin);
        if (previous_.find(id)->second.seen.load(std::memory_order_relaxed)) continue;
        if (!listed.insert(id).second) continue;  // an identity the baseline repeats: its first entry
        removed.push_back({old.origin.input, old.classification.mode, std::move(id)});
    }
    return removed;
}

void judge_report(Report& report, const Policy& policy, const Report* baseline) {
    Judge judge(policy, baseline, report.settings, report.judged_at);
    for (auto& result : report.origins) judge.judge(result);
    report.removed = judge.removed();
}

int exit_status(const Report& report) { return summarize(report).failing > 0 ? exit_policy : exit_ok; }

}  // namespace originscan::rules
