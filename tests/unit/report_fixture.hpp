// A hand-built Report covering every class, for the report writers' tests, and golden-file
// comparison (ORIGINSCAN_UPDATE_GOLDEN=1 rewrites the goldens instead of comparing).
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "model/report.hpp"
#include "model/text.hpp"
#include "rules/classify.hpp"

namespace originscan::testing {

inline constexpr std::int64_t judged_at = 1'714'564'800;  // 2024-05-01T12:00:00Z
inline constexpr std::int64_t day = 86'400;

// 64 hex digits and 43 base64 characters + '=' derived from a seed letter, so that every
// certificate has its own fingerprint and pin.
inline std::string fingerprint(char seed) {
    constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < 32; ++i) out += {hex[(seed >> 4) & 0xf], hex[seed & 0xf]};
    return out;
}
inline std::string spki(char seed) { return std::string(43, seed) + "="; }

inline CertFacts cert(const std::string& subject, const std::string& issuer, std::vector<std::string> names,
                      std::int64_t not_before, std::int64_t not_after, char seed) {
    CertFacts c;
    c.subject = subject;
    c.issuer = issuer;
    c.dns_names = std::move(names);
    c.not_before = not_before;
    c.not_after = not_after;
    c.sha256_fingerprint = fingerprint(seed);
    c.spki_sha256 = spki(static_cast<char>(seed - 'a' + 'A'));
    c.signature_algorithm = "ECDSA-SHA256";
    c.public_key = "ECDSA-SECP256R1";
    c.self_issued = subject == issuer;
    c.self_signed = c.self_issued;
    return c;
}

inline CertFacts ca_cert(const std::string& name, char seed) {
    CertFacts c = cert(name, "CN=Test Root CA", {}, judged_at - 400 * day, judged_at + 3000 * day, seed);
    c.is_ca = true;
    c.signature_algorithm = "RSA-SHA256";
    c.public_key = "RSA-2048";
    return c;
}

inline TlsFacts tls13(std::vector<CertFacts> chain) {
    TlsFacts t;
    t.protocol = "TLS1.3";
    t.cipher = "TLS_AES_256_GCM_SHA384";
    t.group = "X25519";
    t.handshake_completed = true;
    t.chain = std::move(chain);
    return t;
}

inline Probe probe(std::variant<Failure, HttpFacts, TlsFacts> outcome, std::string address = "127.0.0.1") {
    Probe p;
    p.address = std::move(address);
    p.timings = {1.5, 0.25, 12.125, 14.0};
    p.outcome = std::move(outcome);
    return p;
}

inline OriginResult result(std::size_t index, const std::string& input, const std::string& name,
                           std::uint16_t port, std::vector<Probe> probes, Verdict verdict = {}) {
    OriginResult r;
    r.index = index;
    r.origin.input = input;
    r.origin.name = name;
    r.origin.port = port;
    // The addresses, as the parser would have it, so that the origin's id matches its input.
    if (const auto parsed = parse_origin_spec(input); std::holds_alternative<Origin>(parsed))
        r.origin.addresses = std::get<Origin>(parsed).addresses;
    r.scanned = true;
    r.observation.probes = std::move(probes);
    r.verdict = std::move(verdict);
    r.classification = rules::classify(r.observation, judged_at, r.verdict.pins);
    return r;
}

inline Report base_report() {
    Report report;
    report.tool_version = "0.1.0";
    report.started_ms = judged_at * 1000 + 123;
    report.finished_ms = judged_at * 1000 + 12'456;
    report.judged_at = judged_at;
    report.settings.lists = {"origins.txt"};
    report.settings.ca_files = {"origin-ca.pem"};
    report.settings.system_trust = false;
    report.settings.concurrency = 64;
    report.settings.timeout_s = 5.5;
    report.settings.retries = 2;
    report.settings.now = judged_at;
    report.settings.rules_file = "rules.json";
    report.settings.baseline_file = "old.json";
    report.settings.fail_on = {Violation::unreachable, Violation::expiring};
    return report;
}

// Every class, a downgrade, a requirement missed, a pin mismatch, an expiring certificate, an
// unreachable origin, an unscanned one, two probes, and hostile bytes in names and subjects.
inline Report sample_report() {
    Report report = base_report();
    report.complete = false;
    auto& origins = report.origins;
    const CertFacts intermediate = ca_cert("CN=Test Intermediate CA", 'b');

    {  // ca-trusted, strict, as in the baseline
        TlsFacts t = tls13({cert("CN=api.example.com", "CN=Test Intermediate CA", {"api.example.com"},
                                 judged_at - 10 * day, judged_at + 89 * day + 3600, 'a'),
                            intermediate});
        t.trust.trusted = true;
        t.trust.path = {0, 1};
        t.trust.anchor = ca_cert("CN=Test Root CA", 'c');
        t.name_matches = true;
        Verdict v;
        v.required_mode = EdgeMode::strict;
        v.baseline_mode = EdgeMode::strict;
        v.change = Change::same;
        origins.push_back(result(0, "api.example.com", "api.example.com", 443, {probe(t)}, v));
    }
    {  // pin-matching: a self-signed certificate authenticated by its pin, connected elsewhere
        TlsFacts t = tls13({cert("CN=pinned.example.com", "CN=pinned.example.com",
                                 {"pinned.example.com"}, judged_at - day, judged_at + 365 * day, 'c')});
        t.trust.signer_not_found = true;
        t.name_matches = true;
        t.group.clear();
        Verdict v;
        v.required_mode = EdgeMode::strict;
        v.pins = {"sha256/" + spki('C')};
        v.baseline_mode = EdgeMode::strict;
        v.change = Change::same;
        origins.push_back(result(1, "pinned.example.com:8443@127.0.0.2", "pinned.example.com", 8443,
                                 {probe(t, "127.0.0.2")}, v));
    }
    {  // self-signed because expired: was strict in the baseline
        TlsFacts t = tls13({cert("CN=expired.example.com", "CN=Test Intermediate CA",
                                 {"expired.example.com", "www.expired.example.com"}, judged_at - 400 * day,
                                 judged_at - 3 * day, 'd'),
                            intermediate});
        t.trust.trusted = true;
        t.name_matches = true;
        Verdict v;
        v.baseline_mode = EdgeMode::strict;
        v.change = Change::downgrade;
        v.violations = {Violation::downgrade, Violation::expiring};
        origins.push_back(result(2, "expired.example.com", "expired.example.com", 443, {probe(t)}, v));
    }
    {  // self-signed, TLS 1.0, asks for a client certificate; hostile bytes in the subject
        TlsFacts t = tls13({cert("CN=legacy\x01\x1b[2J<&\"'>\xff\xfe.example.com,O=\xe2\x80\xae" "evil",
                                 "CN=Unknown CA", {"legacy.example.com"}, judged_at - 30 * day,
                                 judged_at + 5 * day, 'e')});
        t.protocol = "TLS1.0";
        t.cipher = "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA";
        t.legacy_protocol = true;
        t.client_cert_requested = true;
        t.trust.signer_not_found = true;
        t.trust.chain_in_order = false;
        t.trust.insecure_algorithm = true;
        t.name_matches = false;
        t.error = "the peer wants a certificate";
        Verdict v;
        v.required_mode = EdgeMode::strict;
        v.violations = {Violation::below_required, Violation::expiring};
        v.change = Change::added;
        origins.push_back(result(3, "legacy.example.com:10443", "legacy.example.com", 10443, {probe(t)}, v));
    }
    {  // plaintext, with a hostile name and status line
        HttpFacts h;
        h.on_tls_port = true;
        h.port = 443;
        h.status_line = "HTTP/1.1 400 \"Bad\" <Request> & \x07 ok";
        Verdict v;
        v.change = Change::added;
        origins.push_back(result(4, "evil<&\"'>\x01\x1b[31m.example.com", "evil.example.com", 443, {probe(h)}, v));
    }
    {  // unreachable: timeout on every attempt, with --fail-on unreachable
        Verdict v;
        v.baseline_mode = EdgeMode::full;
        v.change = Change::downgrade;
        v.violations = {Violation::downgrade, Violation::unreachable};
        Probe gone = probe(Failure{Reason::timeout, "no answer within 5.5 s"}, "");
        gone.attempts = 3;
        origins.push_back(result(5, "gone.example.com", "gone.example.com", 443, {gone}, v));
    }
    {  // a configured pin that matches nothing the origin presented
        TlsFacts t = tls13({cert("CN=repinned.example.com", "CN=Test Intermediate CA",
                                 {"repinned.example.com"}, judged_at - day, judged_at + 200 * day, 'f'),
                            intermediate});
        t.trust.trusted = true;
        t.name_matches = true;
        Verdict v;
        v.pins = {"sha256/" + spki('Z'), "sha256/" + spki('Y')};
        v.violations = {Violation::pin_mismatch};
        origins.push_back(result(6, "repinned.example.com", "repinned.example.com", 443, {probe(t)}, v));
    }
    {  // two addresses: one answers TLS, the other refuses; the weaker decides
        TlsFacts t = tls13({cert("CN=dual.example.com", "CN=Test Intermediate CA", {"dual.example.com"},
                                 judged_at - day, judged_at + 60 * day, 'g'),
                            intermediate});
        t.trust.trusted = true;
        t.name_matches = true;
        Probe refused = probe(Failure{Reason::refused, "Connection refused"}, "::1");
        refused.attempts = 3;
        origins.push_back(result(7, "dual.example.com", "dual.example.com", 443, {probe(t, "127.0.0.1"), refused}));
        origins.back().observation.addresses_total = 2;
    }
    {  // interrupted before this one finished
        OriginResult r;
        r.index = 8;
        r.origin.input = r.origin.name = "later.example.com";
        r.scanned = false;
        r.classification = {OriginClass::unreachable, EdgeMode::none, {Reason::not_scanned}};
        origins.push_back(r);
    }
    report.removed = {{"old.example.com", EdgeMode::strict, {"old.example.com", 443, {}}}};
    return report;
}

// A report where every origin passes: JUnit must still list each one.
inline Report passing_report() {
    Report report = base_report();
    report.settings.fail_on.clear();
    report.settings.now.reset();
    report.settings.rules_file.clear();
    report.settings.baseline_file.clear();
    TlsFacts t = tls13({cert("CN=ok.example.com", "CN=Test Root CA", {"ok.example.com"}, judged_at - day,
                             judged_at + 90 * day, 'h')});
    t.trust.trusted = true;
    t.name_matches = true;
    report.origins.push_back(result(0, "ok.example.com", "ok.example.com", 443, {probe(t)}));
    HttpFacts h{false, 80, "HTTP/1.1 301 Moved Permanently"};
    report.origins.push_back(result(1, "plain.example.com", "plain.example.com", 443, {probe(h)}));
    return report;
}

// Valid UTF-8 without a single unsafe code point (model/text.hpp) but, where `newlines`, the
// line breaks the writer itself puts between lines.
inline bool shows_nothing_raw(const std::string& text, bool newlines) {
    for (std::size_t i = 0; i < text.size();) {
        const Utf8Step step = decode_utf8(text, i);
        if (!step.valid) return false;
        if (is_unsafe_code_point(step.code_point) && !(newlines && step.code_point == '\n')) return false;
        i += step.length;
    }
    return true;
}

// Text an attacker controls, meant to act on whoever reads a report: a window title and a
// screen clear (ESC, BEL), a forged line (CR, LF, U+2028, NEL) claiming a better class, a NUL,
// DEL, and bytes that are not UTF-8.
inline constexpr char hostile_bytes[] =
    "x\x1b]0;pwned\x07\x1b[2J\r\nclass: ca-trusted\nallowed mode: strict\0nul"
    "\xe2\x80\xa8" "class: ca-trusted\xc2\x85" "class: ca-trusted\x7f\xff\xfe end";
inline const std::string hostile_text(hostile_bytes, sizeof hostile_bytes - 1);

// The hostile text in every field that comes from outside, on origins none of which is
// ca-trusted (so any "class: ca-trusted" line would be forged), each with a violation.
// hostile_report("benign") is the same report with harmless text, to compare shapes.
inline Report hostile_report(const std::string& h = hostile_text) {
    Report report = base_report();
    TlsFacts t = tls13({cert("CN=" + h, "CN=" + h, {h, "ok.example.com"}, judged_at - day, judged_at + 3 * day, 'k')});
    t.cipher = h;
    t.error = h;
    t.trust.signer_not_found = true;
    Verdict v;
    v.required_mode = EdgeMode::strict;
    v.pins = {h};
    v.violations = {Violation::below_required, Violation::expiring};
    report.origins.push_back(result(0, h, h, 443, {probe(t, h)}, v));
    Verdict plain;
    plain.violations = {Violation::unreachable};
    report.origins.push_back(result(1, "plain.example.com", "plain.example.com", 443,
                                    {probe(HttpFacts{true, 443, "HTTP/1.1 200 " + h})}, v));
    report.origins.push_back(result(2, "gone.example.com", "gone.example.com", 443,
                                    {probe(Failure{Reason::tls_alert, h})}, plain));
    report.removed = {{h, EdgeMode::strict, {"removed.example.com", 443, {}}}};
    return report;
}

inline std::string golden_path(const std::string& name) {
    return std::string(ORIGINSCAN_SOURCE_DIR) + "/tests/unit/golden/" + name;
}

inline std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Compares with tests/unit/golden/NAME, or rewrites it when ORIGINSCAN_UPDATE_GOLDEN=1.
inline void check_golden(const std::string& name, const std::string& actual) {
    const std::string path = golden_path(name);
    const char* update = std::getenv("ORIGINSCAN_UPDATE_GOLDEN");
    if (update != nullptr && std::string(update) == "1") {
        std::ofstream(path, std::ios::binary) << actual;
        WARN("rewrote " << path);
        return;
    }
    std::ifstream probe_file(path);
    INFO("golden file " << path << " (ORIGINSCAN_UPDATE_GOLDEN=1 regenerates it)");
    REQUIRE(probe_file.good());
    CHECK(actual == read_text(path));
}

}  // namespace originscan::testing
