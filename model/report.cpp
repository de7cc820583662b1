#include "model/report.hpp"

#include <algorithm>

namespace originscan {

bool concerns_edge(const OriginResult& r, Violation violation, std::string_view edge) {
    if (violation != Violation::below_required && violation != Violation::downgrade) return true;
    const bool below = violation == Violation::below_required;
    const auto fails = [below](const EdgeJudgement& e) { return below ? e.below_required : e.downgraded; };
    if (edge == "cloudflare") {  // rules/edges.hpp default_edge (model/ sits below rules/)
        const Verdict& v = r.verdict;
        const bool own = below ? v.required_mode && r.classification.mode < *v.required_mode
                               : v.change == Change::downgrade;
        return own || std::none_of(r.edges.begin(), r.edges.end(), fails);
    }
    const auto it = std::find_if(r.edges.begin(), r.edges.end(), [&](const EdgeJudgement& e) { return e.edge == edge; });
    return it != r.edges.end() && fails(*it);
}

std::vector<Violation> edge_violations(const OriginResult& r, std::string_view edge) {
    std::vector<Violation> out;
    for (const Violation v : r.verdict.violations)
        if (concerns_edge(r, v, edge)) out.push_back(v);
    return out;
}

void Tally::add(const OriginResult& r) {
    ++total;
    ++by_class[static_cast<std::size_t>(r.classification.cls)];
    ++by_mode[static_cast<std::size_t>(r.classification.mode)];
    violations += r.verdict.violations.size();
    if (!r.verdict.violations.empty()) ++failing;
    if (r.verdict.change == Change::downgrade) ++downgrades;
    if (r.verdict.change == Change::upgrade) ++upgrades;
    if (r.verdict.change == Change::added) ++added;
    if (!r.scanned) ++not_scanned;
    if (r.edges.empty()) {
        ++cases;
        if (!r.verdict.violations.empty()) ++failing_cases;
        if (!r.scanned) ++skipped_cases;
        return;
    }
    cases += r.edges.size();
    if (!r.scanned) skipped_cases += r.edges.size();
    for (const EdgeJudgement& e : r.edges) {
        const auto& all = r.verdict.violations;
        if (std::any_of(all.begin(), all.end(), [&](Violation v) { return concerns_edge(r, v, e.edge); }))
            ++failing_cases;
        ++by_edge_setting[{e.edge, e.setting}];
    }
}

Tally summarize(const Report& report) {
    if (report.tally) return *report.tally;
    Tally tally;
    for (const auto& r : report.origins) tally.add(r);
    return tally;
}

}  // namespace originscan
