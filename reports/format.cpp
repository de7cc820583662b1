#include "reports/format.hpp"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <variant>

#include "model/report.hpp"
#include "model/time.hpp"
#include "rules/classify.hpp"
#include "rules/edge_ranges.hpp"

namespace originscan::reports {
namespace {

constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    return a / b - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);
}

std::string join_reasons(const std::vector<Reason>& reasons) {
    std::string out;
    for (const Reason r : reasons) {
        if (!out.empty()) out += ", ";
        out += to_string(r);
    }
    return out;
}

}  // namespace

std::string identity_text(const Origin& origin) { return originscan::identity_text(identity_of(origin)); }

std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text) {
    const std::optional<std::int64_t> seconds = parse_rfc3339(text);
    if (!seconds) return std::nullopt;
    // parse_rfc3339 checked the shape: a fraction, if any, starts at offset 19.
    std::int64_t ms = 0;
    if (text.size() > 19 && text[19] == '.') {
        std::size_t pos = 20;
        for (int place = 100; place > 0 && pos < text.size(); place /= 10, ++pos) {
            if (text[pos] < '0' || text[pos] > '9') break;
            ms += (text[pos] - '0') * place;
        }
    }
    return *seconds * 1000 + ms;
}

std::int64_t days_left(std::int64_t not_after, std::int64_t at) {
    return floor_div(not_after - at, 86400);
}

const Probe* shown_probe(const OriginResult& result, std::int64_t judged_at) {
    const auto& probes = result.observation.probes;
    if (probes.empty()) return nullptr;
    if (probes.size() == 1) return &probes.front();
    if (const Probe* deciding = rules::deciding_probe(result.observation, judged_at, result.verdict.pins))
        return deciding;
    return &probes.front();
}

std::string addresses_note(const OriginResult& result, std::int64_t judged_at) {
    const auto& all = result.observation.probes;
    // The addresses that decide; one not probed from here is only counted, after them.
    std::vector<Probe> probes;
    std::copy_if(all.begin(), all.end(), std::back_inserter(probes),
                 [&](const Probe& p) { return rules::decides(result.observation, p); });
    std::string out;
    if (probes.size() > 1) {
        std::vector<Classification> classes;
        for (const Probe& probe : probes) classes.push_back(rules::classify_probe(probe, judged_at, result.verdict.pins));
        const auto weakest = std::min_element(classes.begin(), classes.end(),
                                              [](const auto& a, const auto& b) { return a.mode < b.mode; });
        const auto same_class = [&](const Classification& c) { return c.cls == classes.front().cls; };
        const std::string count = std::to_string(probes.size());
        if (std::all_of(classes.begin(), classes.end(), same_class)) {
            out = "all " + count + " addresses " + std::string(to_string(classes.front().cls));
        } else {
            // The weakest mode's addresses, grouped by class in the order first seen.
            out = "weakest of " + count + " addresses:";
            std::vector<OriginClass> done;
            for (std::size_t i = 0; i < classes.size(); ++i) {
                const OriginClass cls = classes[i].cls;
                if (classes[i].mode != weakest->mode || std::find(done.begin(), done.end(), cls) != done.end()) continue;
                done.push_back(cls);
                std::size_t n = 0;
                std::string where;
                for (std::size_t j = i; j < classes.size(); ++j) {
                    if (classes[j].cls != cls) continue;
                    ++n;
                    where += (where.empty() ? "" : ", ") + (probes[j].address.empty() ? "?" : probes[j].address);
                }
                out += (done.size() == 1 ? " " : ", ") + std::to_string(n) + " " + std::string(to_string(cls)) +
                       " (" + where + ")";
            }
        }
    }
    const auto skipped = std::count_if(all.begin(), all.end(), rules::not_probed_here);
    if (skipped > 0)
        out += (out.empty() ? "" : "; ") + std::to_string(skipped) + " of " + std::to_string(all.size()) +
               " addresses not probed: no IPv6 route from this host";
    const auto edge = std::count_if(all.begin(), all.end(), rules::is_edge_probe);
    if (edge > 0 && static_cast<std::size_t>(edge) < all.size())
        out += (out.empty() ? "" : "; ") + std::to_string(edge) + " of " + std::to_string(all.size()) +
               " addresses the edge's own: not connected to";
    if (result.observation.addresses_capped)
        out += (out.empty() ? "" : "; ") + std::string("only ") + std::to_string(all.size()) + " of " +
               std::to_string(result.observation.addresses_total) + " addresses probed";
    return out;
}

std::string class_and_reasons(const Classification& classification) {
    std::string out(to_string(classification.cls));
    if (!classification.reasons.empty()) out += ": " + join_reasons(classification.reasons);
    return out;
}

std::string violation_message(const OriginResult& result, Violation violation,
                              std::int64_t judged_at, int expiry_days, std::string_view edge) {
    const Classification& c = result.classification;
    const Verdict& v = result.verdict;
    const std::string mode(to_string(c.mode));
    std::string addresses = addresses_note(result, judged_at);
    if (!addresses.empty()) addresses.insert(0, "; ");
    std::string out(to_string(violation));
    out += ": ";
    // Which edges' parts a below-required or downgrade names: all that apply, or only `edge`'s.
    const bool cloudflare = concerns_edge(result, violation, "cloudflare") && (edge.empty() || edge == "cloudflare");
    const auto named = [&](const EdgeJudgement& e) {
        return e.edge != "cloudflare" && (edge.empty() || e.edge == edge) && concerns_edge(result, violation, e.edge);
    };
    const EdgeJudgement* only = nullptr;  // the one other edge a filtered message is about
    if (!edge.empty() && edge != "cloudflare")
        for (const auto& e : result.edges)
            if (e.edge == edge) only = &e;
    switch (violation) {
        case Violation::below_required: {
            // Cloudflare's part when its min_mode is not met, then each other edge's (--edge).
            std::string parts;
            if (cloudflare)
                parts = "allowed mode " + mode + " is below the required " +
                        std::string(v.required_mode ? to_string(*v.required_mode) : "mode");
            for (const auto& e : result.edges)
                if (named(e))
                    parts += (parts.empty() ? "" : "; ") + e.edge + " allows " + e.setting + ", below the required " +
                             e.required_setting;
            out += parts;
            break;
        }
        case Violation::downgrade: {
            std::string parts;
            if (cloudflare)
                parts = "allowed mode fell from " +
                        std::string(v.baseline_mode ? to_string(*v.baseline_mode) : "the baseline's") + " to " + mode;
            for (const auto& e : result.edges)
                if (named(e))
                    parts += (parts.empty() ? "" : "; ") + e.edge + " fell from " + e.baseline_setting + " to " + e.setting;
            out += parts;
            break;
        }
        case Violation::pin_mismatch:
            out += v.pins.size() == 1
                       ? "the configured pin matches no certificate the origin presented"
                       : "none of the " + std::to_string(v.pins.size()) +
                             " configured pins matches a certificate the origin presented";
            break;
        case Violation::client_auth_missing:
            out += "the rules require a client certificate, and the origin completed a handshake "
                   "without asking for one (anyone can reach it around the edge)";
            break;
        case Violation::unreachable:
            out += "no edge mode can reach the origin";
            if (const Probe* probe = shown_probe(result, judged_at))
                if (const auto* failure = std::get_if<Failure>(&probe->outcome);
                    failure && !failure->detail.empty())
                    return out + " (" + class_and_reasons(c) + "; " + failure->detail + addresses + ")";
            break;
        case Violation::edge_address:
            out += rules::edge_address_message(result);
            break;
        case Violation::expiring: {
            const Probe* probe = shown_probe(result, judged_at);
            const auto* tls = probe ? std::get_if<TlsFacts>(&probe->outcome) : nullptr;
            if (tls == nullptr || tls->chain.empty()) {
                out += "the certificate expires within " + std::to_string(expiry_days) + " days";
                break;
            }
            // The path's first expiry is what breaks the origin first: say which certificate.
            const CertFacts* first = rules::earliest_expiry(*tls);
            const std::int64_t not_after = first->not_after;
            const std::int64_t days = days_left(not_after, judged_at);
            const std::string on = format_rfc3339(not_after);
            const std::string which = first == &tls->chain.front()
                                          ? std::string("the certificate")
                                          : std::string(rules::path_role(*tls, first)) + " " + first->subject;
            if (not_after <= judged_at)
                out += which + " expired on " + on;
            else
                out += which + " expires in " + std::to_string(days) + (days == 1 ? " day" : " days") +
                       ", on " + on + ", within the " + std::to_string(expiry_days) + "-day warning";
            break;
        }
    }
    if (only != nullptr && (violation == Violation::below_required || violation == Violation::downgrade)) {
        // The edge's own judgement, as class_and_reasons says Cloudflare's.
        const std::string reasons = only->reasons.empty() ? "" : ": " + join_reasons(only->reasons);
        return out + " (" + only->setting + reasons + addresses + ")";
    }
    return out + " (" + class_and_reasons(c) + addresses + ")";
}

}  // namespace originscan::reports
