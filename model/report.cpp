#include "model/report.hpp"

namespace originscan {

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
}

Tally summarize(const Report& report) {
    if (report.tally) return *report.tally;
    Tally tally;
    for (const auto& r : report.origins) tally.add(r);
    return tally;
}

}  // namespace originscan
