// A report of a scan with --edge cloudflare,cloudfront,fastly, judged by rules::Judge (the real
// per-edge verdicts, not hand-set flags) against a rules file with edge minimums and a baseline
// where every edge stood at its top setting, for the report writers' per-edge tests:
//   0 api.example.com         trusted, complete, in order: every edge at its top, no violation
//   1 misordered.example.com  the chain now out of order: CloudFront fell (a downgrade for it only)
//   2 self.example.com        self-signed as before: Fastly below its rule's tls-verified only
//   3 gone.example.com        now times out: every edge fell, and --fail-on unreachable
//   4 later.example.com       not scanned (interrupted)
#pragma once

#include "report_fixture.hpp"
#include "rules/policy.hpp"

namespace originscan::testing {

// TLS 1.2 ECDHE-RSA-AES128-GCM, in both Cloudflare's and CloudFront's tables, a leaf +
// intermediate that verifies, in order, for `name`.
inline TlsFacts edge_tls(const std::string& name, char seed) {
    TlsFacts t = tls13({cert("CN=" + name, "CN=Test Intermediate CA", {name}, judged_at - 10 * day,
                             judged_at + 80 * day, seed),
                        ca_cert("CN=Test Intermediate CA", 'b')});
    t.protocol = "TLS1.2";
    t.cipher = "TLS_ECDHE_RSA_AES_128_GCM_SHA256";
    t.cipher_id = 0xc02f;
    t.chain_presented = 2;
    t.trust.trusted = true;
    t.trust.path = {0, 1};
    t.trust.anchor = ca_cert("CN=Test Root CA", 'c');
    t.name_matches = true;
    return t;
}

inline TlsFacts self_signed_tls(const std::string& name) {
    TlsFacts t = edge_tls(name, 's');
    t.chain = {cert("CN=" + name, "CN=" + name, {name}, judged_at - day, judged_at + 300 * day, 's')};
    t.chain_presented = 1;
    t.trust = {};
    t.trust.signer_not_found = true;
    return t;
}

inline Report edge_report() {
    const rules::Policy policy = rules::parse_policy(
        R"({"rules": [{"match": "api.example.com", "min_mode": "strict", "edge_min_mode": {"cloudfront": "https-only"}},
                      {"match": "self.example.com", "edge_min_mode": {"fastly": "tls-verified"}}]})",
        "rules.json");
    Report report = base_report();
    report.complete = false;
    report.settings.edges = {"cloudflare", "cloudfront", "fastly"};
    report.settings.fail_on = {Violation::unreachable};
    TlsFacts misordered = edge_tls("misordered.example.com", 'm');
    misordered.trust.chain_in_order = false;
    Probe gone = probe(Failure{Reason::timeout, "no answer within 5.5 s"}, "127.0.0.4");
    gone.attempts = 2;
    report.origins = {
        result(0, "api.example.com", "api.example.com", 443, {probe(edge_tls("api.example.com", 'a'))}),
        result(1, "misordered.example.com", "misordered.example.com", 443, {probe(misordered, "127.0.0.2")}),
        result(2, "self.example.com", "self.example.com", 443, {probe(self_signed_tls("self.example.com"), "127.0.0.3")}),
        result(3, "gone.example.com", "gone.example.com", 443, {gone}),
        result(4, "later.example.com", "later.example.com", 443, {}),
    };
    report.origins[4].scanned = false;

    // Then: every origin but self.example.com trusted, complete and in order.
    Report baseline = report;
    baseline.complete = true;
    baseline.origins[1].observation.probes[0] = probe(edge_tls("misordered.example.com", 'm'), "127.0.0.2");
    baseline.origins[3].observation.probes[0] = probe(edge_tls("gone.example.com", 'g'), "127.0.0.4");
    baseline.origins[4].scanned = true;
    baseline.origins[4].observation.probes = {probe(edge_tls("later.example.com", 'l'))};
    rules::judge_report(baseline, policy, nullptr);

    rules::judge_report(report, policy, &baseline);
    return report;
}

}  // namespace originscan::testing
