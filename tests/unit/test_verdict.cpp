// rules/verdict: judge, judge_report and exit_status.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "rules/classify.hpp"
#include "rules/policy.hpp"

using namespace originscan;
using originscan::rules::exit_status;
using originscan::rules::judge;
using originscan::rules::judge_report;
using originscan::rules::parse_policy;
using originscan::rules::Policy;
using originscan::rules::Rule;

namespace {

constexpr std::int64_t now = 1'700'000'000;
constexpr std::int64_t day = 86'400;

const std::string leaf_spki = "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLA=";
const std::string pin_other = "sha256/OOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOA=";

// A trusted origin whose leaf expires `days_left` days after `now` (plus `extra` seconds).
TlsFacts trusted_tls(std::int64_t days_left = 60, std::int64_t extra = 0) {
    CertFacts leaf;
    leaf.subject = "CN=origin.example.com";
    leaf.not_before = now - 30 * day;
    leaf.not_after = now + days_left * day + extra;
    leaf.spki_sha256 = leaf_spki;
    TlsFacts t;
    t.protocol = "TLS1.3";
    t.cipher = "TLS_AES_128_GCM_SHA256";
    t.handshake_completed = true;
    t.chain = {leaf};
    t.trust.trusted = true;
    t.name_matches = true;
    return t;
}

TlsFacts self_signed_tls() {
    TlsFacts t = trusted_tls();
    t.chain[0].self_signed = t.chain[0].self_issued = true;
    t.trust = {};
    t.trust.signer_not_found = true;
    return t;
}

Observation observed(std::variant<Failure, HttpFacts, TlsFacts> outcome) {
    Probe probe;
    probe.address = "127.0.0.1";
    probe.outcome = std::move(outcome);
    Observation o;
    o.probes = {probe};
    return o;
}

OriginResult result_of(const std::string& input, Observation observation) {
    OriginResult r;
    r.origin.input = input;
    r.origin.name = input;
    r.scanned = true;
    r.observation = std::move(observation);
    r.classification = rules::classify(r.observation, now);
    return r;
}

std::vector<std::string> names(const std::vector<Violation>& violations) {
    // Spelled here rather than with to_string(Violation): this file tests rules/ alone.
    static const char* const spelled[] = {"below-required", "downgrade", "pin-mismatch",
                                          "unreachable", "expiring"};
    std::vector<std::string> out;
    for (auto v : violations) out.emplace_back(spelled[static_cast<int>(v)]);
    return out;
}

}  // namespace

TEST_CASE("judge: violations and change", "[rules][verdict]") {
    using M = EdgeMode;
    using V = Violation;
    struct Row {
        std::string name;
        Observation observation;
        std::optional<M> min_mode;  // nullopt with has_rule: a rule without min_mode
        bool has_rule;
        bool have_baseline;
        std::optional<M> baseline;
        std::vector<V> fail_on;
        std::vector<std::string> violations;
        Change change;
    };
    const auto trusted = observed(trusted_tls());
    const auto self_signed = observed(self_signed_tls());
    const auto plaintext = observed(HttpFacts{false, 80, "HTTP/1.1 200 OK"});
    const auto unreachable = observed(Failure{Reason::timeout, ""});
    const std::vector<V> both = {V::unreachable, V::expiring};

    const std::vector<Row> rows = {
        {"no rule, no baseline", self_signed, {}, false, false, {}, {}, {}, Change::none},
        {"rule without min_mode", unreachable, {}, true, false, {}, {}, {}, Change::none},
        {"meets the required mode", trusted, M::strict, true, false, {}, {}, {}, Change::none},
        {"above the required mode", self_signed, M::flexible, true, false, {}, {}, {}, Change::none},
        {"exactly the required mode", self_signed, M::full, true, false, {}, {}, {}, Change::none},
        {"below the required mode", self_signed, M::strict, true, false, {}, {}, {"below-required"},
         Change::none},
        {"plaintext where full is required", plaintext, M::full, true, false, {}, {}, {"below-required"},
         Change::none},
        {"new in this scan", self_signed, {}, false, true, {}, {}, {}, Change::added},
        {"same as the baseline", self_signed, {}, false, true, M::full, {}, {}, Change::same},
        {"upgrade", trusted, {}, false, true, M::full, {}, {}, Change::upgrade},
        {"downgrade", plaintext, {}, false, true, M::full, {}, {"downgrade"}, Change::downgrade},
        {"downgrade and below required", unreachable, M::flexible, true, true, M::strict, {},
         {"below-required", "downgrade"}, Change::downgrade},
        {"baseline ignored without --baseline", plaintext, {}, false, false, M::strict, {}, {},
         Change::none},
        {"unreachable, not in --fail-on", unreachable, {}, false, false, {}, {V::expiring}, {},
         Change::none},
        {"unreachable, in --fail-on", unreachable, {}, false, false, {}, both, {"unreachable"},
         Change::none},
        {"reachable, --fail-on unreachable", plaintext, {}, false, false, {}, {V::unreachable}, {},
         Change::none},
        {"expiring in 13 days", observed(trusted_tls(13)), {}, false, false, {}, {V::expiring},
         {"expiring"}, Change::none},
        {"expiring one second inside the horizon", observed(trusted_tls(14, -1)), {}, false, false, {},
         {V::expiring}, {"expiring"}, Change::none},
        {"expiring exactly at the horizon", observed(trusted_tls(14)), {}, false, false, {},
         {V::expiring}, {}, Change::none},
        {"expiring after the horizon", observed(trusted_tls(15)), {}, false, false, {}, {V::expiring},
         {}, Change::none},
        {"already expired counts as expiring", observed(trusted_tls(-3)), {}, false, false, {}, both,
         {"expiring"}, Change::none},
        {"expiring, not in --fail-on", observed(trusted_tls(1)), {}, false, false, {},
         {V::unreachable}, {}, Change::none},
        {"expiring does not apply without a certificate", plaintext, {}, false, false, {},
         {V::expiring}, {}, Change::none},
    };
    for (const auto& row : rows) {
        INFO(row.name);
        const OriginResult result = result_of("origin.example.com", row.observation);
        Rule rule{"origin.example.com", row.min_mode, {}, false, {}, {}, {}, {}};
        ScanSettings settings;
        settings.fail_on = row.fail_on;
        settings.expiry_days = 14;
        const Verdict verdict = judge(result, row.has_rule ? &rule : nullptr, row.have_baseline,
                                      row.baseline, settings, now);
        CHECK(names(verdict.violations) == row.violations);
        CHECK(verdict.change == row.change);
        CHECK(verdict.required_mode == (row.has_rule ? row.min_mode : std::nullopt));
        CHECK(verdict.baseline_mode == (row.have_baseline ? row.baseline : std::nullopt));
    }
}

TEST_CASE("judge: pins and pin-mismatch", "[rules][verdict][pins]") {
    OriginResult result = result_of("origin.example.com", observed(trusted_tls()));
    result.classification = rules::classify(result.observation, now, {pin_other});
    const Rule rule{"origin.example.com", EdgeMode::strict, {pin_other}, false, {}, {}, {}, {}};
    const Verdict verdict = judge(result, &rule, false, std::nullopt, ScanSettings{}, now);
    CHECK(verdict.pins == std::vector<std::string>{pin_other});
    CHECK(names(verdict.violations) == std::vector<std::string>{"pin-mismatch"});
}

TEST_CASE("judge_report: rules, pins, baseline, removed and unscanned origins", "[rules][verdict]") {
    const Policy policy = parse_policy(R"({"rules": [
        {"match": "pinned.example", "min_mode": "strict", "pins": [")" + pin_other + R"("]},
        {"match": "*.example", "min_mode": "full"}
    ]})", "rules.json");

    Report baseline;
    baseline.judged_at = now - 7 * day;
    {
        auto a = result_of("a.example", observed(trusted_tls()));            // strict
        auto b = result_of("b.example", observed(trusted_tls()));            // strict
        auto gone = result_of("gone.example", observed(self_signed_tls()));  // full
        auto late = result_of("late.example", observed(trusted_tls()));
        late.scanned = false;  // the baseline run was interrupted before it
        late.classification = {OriginClass::unreachable, EdgeMode::none, {Reason::not_scanned}};
        auto dup = gone;  // a duplicate input is removed once
        baseline.origins = {a, b, gone, late, dup};
    }

    Report report;
    report.judged_at = now;
    report.settings.fail_on = {Violation::unreachable};
    report.origins = {
        result_of("a.example", observed(self_signed_tls())),               // downgrade, still >= full
        result_of("b.example", observed(HttpFacts{true, 443, "HTTP/1.0 400"})),  // below + downgrade
        result_of("pinned.example", observed(trusted_tls())),               // pin mismatch
        result_of("late.example", observed(trusted_tls())),                 // baseline had no mode
        result_of("never.example", {}),                                     // interrupted now
        result_of("other.test", observed(Failure{Reason::dns, ""})),        // --fail-on unreachable
    };
    report.origins[4].scanned = false;
    // Stale judgements must be replaced, not kept.
    for (auto& r : report.origins) r.classification = {OriginClass::ca_trusted, EdgeMode::strict, {}};

    judge_report(report, policy, &baseline);

    const auto& o = report.origins;
    CHECK(o[0].classification.cls == OriginClass::self_signed);
    CHECK(o[0].verdict.required_mode == EdgeMode::full);
    CHECK(o[0].verdict.baseline_mode == EdgeMode::strict);
    CHECK(o[0].verdict.change == Change::downgrade);
    CHECK(names(o[0].verdict.violations) == std::vector<std::string>{"downgrade"});

    CHECK(o[1].classification.cls == OriginClass::plaintext);
    CHECK(names(o[1].verdict.violations) == std::vector<std::string>{"below-required", "downgrade"});

    CHECK(o[2].classification.cls == OriginClass::ca_trusted);
    CHECK(o[2].classification.reasons == std::vector<Reason>{Reason::pin_mismatch});
    CHECK(o[2].verdict.pins == std::vector<std::string>{pin_other});
    CHECK(o[2].verdict.change == Change::added);
    CHECK(names(o[2].verdict.violations) == std::vector<std::string>{"pin-mismatch"});

    CHECK(o[3].verdict.change == Change::added);
    CHECK_FALSE(o[3].verdict.baseline_mode.has_value());
    CHECK(o[3].verdict.violations.empty());

    CHECK(o[4].classification.cls == OriginClass::unreachable);
    CHECK(o[4].classification.mode == EdgeMode::none);
    CHECK(o[4].classification.reasons == std::vector<Reason>{Reason::not_scanned});
    CHECK(o[4].verdict.required_mode == EdgeMode::full);
    CHECK(o[4].verdict.change == Change::none);
    CHECK(o[4].verdict.violations.empty());  // neither below-required nor --fail-on unreachable

    CHECK(o[5].classification.cls == OriginClass::unreachable);
    CHECK_FALSE(o[5].verdict.required_mode.has_value());
    CHECK(names(o[5].verdict.violations) == std::vector<std::string>{"unreachable"});

    REQUIRE(report.removed.size() == 1);
    CHECK(report.removed[0].input == "gone.example");
    CHECK(report.removed[0].baseline_mode == EdgeMode::full);

    CHECK(exit_status(report) == rules::exit_policy);

    SECTION("without a baseline nothing is compared") {
        judge_report(report, policy, nullptr);
        CHECK(report.removed.empty());
        for (const auto& r : report.origins) {
            CHECK(r.verdict.change == Change::none);
            CHECK_FALSE(r.verdict.baseline_mode.has_value());
        }
        CHECK(names(report.origins[0].verdict.violations).empty());
    }
    SECTION("judged at the report's time, not the baseline's") {
        Report later = report;
        later.judged_at = now + 61 * day;  // past the leaf's not_after
        judge_report(later, Policy{}, nullptr);
        CHECK(later.origins[3].classification.reasons == std::vector<Reason>{Reason::expired});
    }
}

TEST_CASE("exit_status", "[rules][verdict]") {
    const std::vector<std::pair<std::vector<std::vector<Violation>>, int>> table = {
        {{}, rules::exit_ok},
        {{{}}, rules::exit_ok},
        {{{}, {}, {}}, rules::exit_ok},
        {{{Violation::below_required}}, rules::exit_policy},
        {{{}, {Violation::downgrade}}, rules::exit_policy},
        {{{Violation::pin_mismatch}, {}}, rules::exit_policy},
        {{{}, {}, {Violation::unreachable, Violation::expiring}}, rules::exit_policy},
    };
    for (const auto& [per_origin, expected] : table) {
        Report report;
        for (const auto& violations : per_origin) {
            OriginResult r;
            r.verdict.violations = violations;
            report.origins.push_back(r);
        }
        // Removed origins are reported, not failed.
        report.removed = {{"gone.example", EdgeMode::strict, {"gone.example", 443, {}}}};
        CHECK(exit_status(report) == expected);
    }
}

namespace {

// An origin as a list line gives it: the spec parsed (name, port, address).
OriginResult listed(const std::string& spec, Observation observation) {
    auto parsed = parse_origin_spec(spec);
    if (auto* error = std::get_if<std::string>(&parsed)) FAIL(spec << ": " << *error);
    OriginResult r = result_of(spec, std::move(observation));
    r.origin = std::get<Origin>(parsed);
    return r;
}

}  // namespace

TEST_CASE("judge_report: the baseline is matched by identity, never by the line's text", "[rules][verdict]") {
    struct Respelled {
        std::string before, after;
    };
    // clang-format off
    const Respelled spellings[] = {
        {"good.demo.test@127.0.0.1:43647",     "good.demo.test:43647@127.0.0.1"},
        {"good.demo.test@127.0.0.1:43647",     "GOOD.demo.test.@127.0.0.1:43647"},
        {"good.demo.test:8443",                "https://Good.Demo.Test.:8443/path"},
        {"good.demo.test",                     "good.demo.test:443"},
        {"good.demo.test:443",                 "GOOD.DEMO.TEST"},
        {"v6.demo.test@[2001:db8:0:0::1]:8443", "v6.demo.test:8443@[2001:DB8::1]"},
        {"[::1]:8443",                         "[0:0:0:0:0:0:0:1]:8443"},
        {"a.demo.test@Backend.Internal.",      "a.demo.test@backend.internal:443"},
    };
    // clang-format on
    for (const auto& s : spellings) {
        CAPTURE(s.before, s.after);
        Report baseline;
        baseline.origins = {listed(s.before, observed(trusted_tls())),  // strict
                            listed("other.demo.test", observed(trusted_tls()))};
        Report report;
        report.judged_at = now;
        report.origins = {listed(s.after, observed(self_signed_tls())),  // full now
                          listed("other.demo.test", observed(trusted_tls()))};
        judge_report(report, Policy{}, &baseline);
        CHECK(report.origins[0].verdict.baseline_mode == EdgeMode::strict);
        CHECK(report.origins[0].verdict.change == Change::downgrade);
        CHECK(names(report.origins[0].verdict.violations) == std::vector<std::string>{"downgrade"});
        CHECK(report.origins[1].verdict.change == Change::same);
        CHECK(report.removed.empty());
        CHECK(summarize(report).added == 0);
        CHECK(exit_status(report) == rules::exit_policy);
    }
}

TEST_CASE("judge_report: removed is decided by identity", "[rules][verdict]") {
    Report baseline;
    baseline.origins = {listed("kept.demo.test@127.0.0.1:8443", observed(trusted_tls())),
                        listed("gone.demo.test@127.0.0.1:8443", observed(self_signed_tls())),
                        listed("moved.demo.test@127.0.0.1:8443", observed(trusted_tls()))};
    Report report;
    report.judged_at = now;
    report.origins = {listed("KEPT.demo.test.:8443@127.0.0.1", observed(trusted_tls())),
                      // another port, another address: other origins, so new
                      listed("moved.demo.test@127.0.0.1:8444", observed(trusted_tls())),
                      listed("gone.demo.test@127.0.0.2:8443", observed(trusted_tls()))};
    judge_report(report, Policy{}, &baseline);
    CHECK(report.origins[0].verdict.change == Change::same);
    CHECK(report.origins[1].verdict.change == Change::added);
    CHECK(report.origins[2].verdict.change == Change::added);
    REQUIRE(report.removed.size() == 2);
    CHECK(report.removed[0].input == "gone.demo.test@127.0.0.1:8443");
    CHECK(report.removed[0].baseline_mode == EdgeMode::full);
    CHECK(identity_text(report.removed[0].identity) == "gone.demo.test:8443@127.0.0.1");
    CHECK(report.removed[1].input == "moved.demo.test@127.0.0.1:8443");
}

TEST_CASE("judge_report: baseline entries of one identity count once, the first decides", "[rules][verdict]") {
    Report baseline;
    auto unscanned = listed("late.demo.test", {});
    unscanned.scanned = false;
    unscanned.classification = {OriginClass::unreachable, EdgeMode::none, {Reason::not_scanned}};
    baseline.origins = {listed("a.demo.test", observed(trusted_tls())),         // strict: decides
                        listed("A.demo.test.:443", observed(self_signed_tls())),  // full: ignored
                        unscanned,                                              // no mode: decides
                        listed("late.demo.test:443", observed(trusted_tls())),
                        listed("gone.demo.test", observed(self_signed_tls())),
                        listed("GONE.demo.test", observed(trusted_tls()))};
    Report report;
    report.judged_at = now;
    report.origins = {listed("a.demo.test", observed(self_signed_tls())),  // full < strict
                      listed("a.demo.test:443", observed(self_signed_tls())),  // a duplicate line now
                      listed("late.demo.test", observed(trusted_tls()))};
    judge_report(report, Policy{}, &baseline);
    for (int i : {0, 1}) {
        CHECK(report.origins[i].verdict.baseline_mode == EdgeMode::strict);
        CHECK(report.origins[i].verdict.change == Change::downgrade);
    }
    CHECK(report.origins[2].verdict.change == Change::added);  // its first entry was not scanned
    CHECK_FALSE(report.origins[2].verdict.baseline_mode.has_value());
    REQUIRE(report.removed.size() == 1);  // once, as its first entry
    CHECK(report.removed[0].input == "gone.demo.test");
    CHECK(report.removed[0].baseline_mode == EdgeMode::full);
}
