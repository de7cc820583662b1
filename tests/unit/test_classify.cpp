// rules/classify and rules/edge_profile: hand-built observations, one row per class and reason.
#include <catch2/catch.hpp>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "rules/classify.hpp"
#include "rules/edge_profile.hpp"

using namespace originscan;
using originscan::rules::classify;
using originscan::rules::classify_probe;
using originscan::rules::cloudflare_mode;
using originscan::rules::deciding_probe;
using originscan::rules::decides;
using originscan::rules::not_probed_here;

namespace {

constexpr std::int64_t now = 1'700'000'000;
constexpr std::int64_t day = 86'400;

// Distinct, valid-looking SPKI hashes (base64 of 32 bytes).
const std::string leaf_spki = "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLA=";
const std::string intermediate_spki = "IIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIA=";
const std::string other_spki = "OOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOA=";

CertFacts leaf_cert() {
    CertFacts c;
    c.subject = "CN=origin.example.com";
    c.issuer = "CN=Example Intermediate";
    c.dns_names = {"origin.example.com"};
    c.not_before = now - 30 * day;
    c.not_after = now + 60 * day;
    c.spki_sha256 = leaf_spki;
    return c;
}

CertFacts intermediate_cert() {
    CertFacts c;
    c.subject = "CN=Example Intermediate";
    c.issuer = "CN=Example Root";
    c.not_before = now - 365 * day;
    c.not_after = now + 365 * day;
    c.spki_sha256 = intermediate_spki;
    c.is_ca = true;
    return c;
}

CertFacts root_cert() {
    CertFacts c;
    c.subject = "CN=Example Root";
    c.issuer = "CN=Example Root";
    c.not_before = now - 3650 * day;
    c.not_after = now + 3650 * day;
    c.spki_sha256 = other_spki;
    c.is_ca = c.self_issued = c.self_signed = true;
    return c;
}

// A clean, CA-trusted TLS 1.3 origin: the starting point every row modifies.
TlsFacts trusted_tls() {
    TlsFacts t;
    t.protocol = "TLS1.3";
    t.cipher = "TLS_AES_128_GCM_SHA256";
    t.handshake_completed = true;
    t.chain = {leaf_cert(), intermediate_cert()};
    t.trust.trusted = true;
    t.name_matches = true;
    return t;
}

// A self-signed leaf presented alone, not in the trust store. GnuTLS also reports the signer
// as not found for it.
TlsFacts self_signed_tls() {
    TlsFacts t = trusted_tls();
    CertFacts leaf = leaf_cert();
    leaf.issuer = leaf.subject;
    leaf.self_issued = true;
    leaf.self_signed = true;
    t.chain = {leaf};
    t.trust = {};
    t.trust.signer_not_found = true;
    return t;
}

Probe probe_of(std::variant<Failure, HttpFacts, TlsFacts> outcome) {
    Probe p;
    p.address = "127.0.0.1";
    p.outcome = std::move(outcome);
    return p;
}

struct Row {
    std::string name;
    std::variant<Failure, HttpFacts, TlsFacts> outcome;
    OriginClass cls;
    EdgeMode mode;
    std::vector<Reason> reasons;
};

TlsFacts with(TlsFacts t, const std::function<void(TlsFacts&)>& change) {
    change(t);
    return t;
}

// A TLS 1.2 origin that chose `suite`, asked for a client certificate and ended the
// handshake with an alert when none came (GnuTLS names no suite then: only the code point).
TlsFacts refused_client_cert(std::uint16_t suite) {
    return with(trusted_tls(), [suite](TlsFacts& t) {
        char code[8];
        std::snprintf(code, sizeof code, "0x%04X", suite);
        t.protocol = "TLS1.2";
        t.cipher = code;
        t.cipher_id = suite;
        t.handshake_completed = false;
        t.client_cert_requested = true;
        t.failure = Reason::tls_alert;
    });
}

}  // namespace

TEST_CASE("cloudflare_mode maps every class", "[rules][classify]") {
    const std::vector<std::pair<OriginClass, EdgeMode>> table = {
        {OriginClass::pin_matching, EdgeMode::strict}, {OriginClass::ca_trusted, EdgeMode::strict},
        {OriginClass::self_signed, EdgeMode::full},    {OriginClass::plaintext, EdgeMode::flexible},
        {OriginClass::unreachable, EdgeMode::none},
    };
    REQUIRE(table.size() == std::size(all_origin_classes));
    for (const auto& [cls, mode] : table) {
        INFO(to_string(cls));
        CHECK(cloudflare_mode(cls) == mode);
    }
}

TEST_CASE("classify_probe: one row per class and reason", "[rules][classify]") {
    using R = Reason;
    using C = OriginClass;
    using M = EdgeMode;
    const std::vector<Row> rows = {
        // unreachable: every failure reason passes through
        {"dns", Failure{R::dns, "NXDOMAIN"}, C::unreachable, M::none, {R::dns}},
        {"refused", Failure{R::refused, ""}, C::unreachable, M::none, {R::refused}},
        {"no-route", Failure{R::no_route, ""}, C::unreachable, M::none, {R::no_route}},
        {"reset", Failure{R::reset, ""}, C::unreachable, M::none, {R::reset}},
        {"timeout", Failure{R::timeout, ""}, C::unreachable, M::none, {R::timeout}},
        {"not-tls", Failure{R::not_tls, "SSH-2.0"}, C::unreachable, M::none, {R::not_tls}},
        {"tls-alert", Failure{R::tls_alert, "handshake failure"}, C::unreachable, M::none,
         {R::tls_alert}},
        {"tls-error", Failure{R::tls_error, ""}, C::unreachable, M::none, {R::tls_error}},
        {"TLS facts without a certificate", with(trusted_tls(), [](TlsFacts& t) { t.chain.clear(); }),
         C::unreachable, M::none, {R::tls_error}},

        // plaintext
        {"HTTP on the TLS port", HttpFacts{true, 443, "HTTP/1.1 400 Bad Request"}, C::plaintext,
         M::flexible, {R::http_on_tls_port}},
        {"TLS port refused, HTTP port answers", HttpFacts{false, 80, "HTTP/1.1 200 OK"},
         C::plaintext, M::flexible, {R::refused}},

        // authenticated
        {"clean chain", trusted_tls(), C::ca_trusted, M::strict, {}},
        {"self-signed leaf that is a trust anchor",
         with(self_signed_tls(), [](TlsFacts& t) { t.trust = {}; t.trust.trusted = true; }),
         C::ca_trusted, M::strict, {}},
        {"valid from exactly now", with(trusted_tls(), [](TlsFacts& t) { t.chain[0].not_before = now; }),
         C::ca_trusted, M::strict, {}},
        {"valid until exactly now", with(trusted_tls(), [](TlsFacts& t) { t.chain[0].not_after = now; }),
         C::ca_trusted, M::strict, {}},

        // not authenticated: one reason each
        {"self-signed", self_signed_tls(), C::self_signed, M::full, {R::self_signed}},
        {"unknown issuer: intermediate sent, root unknown",
         with(trusted_tls(), [](TlsFacts& t) { t.trust = {}; t.trust.signer_not_found = true; }),
         C::self_signed, M::full, {R::unknown_issuer}},
        {"unknown issuer: self-issued last certificate",
         with(trusted_tls(), [](TlsFacts& t) {
             t.trust = {};
             t.trust.signer_not_found = true;
             t.chain[1].is_ca = false;
             t.chain[1].self_issued = true;
         }),
         C::self_signed, M::full, {R::unknown_issuer}},
        {"incomplete chain: leaf alone",
         with(trusted_tls(), [](TlsFacts& t) {
             t.chain.pop_back();
             t.trust = {};
             t.trust.signer_not_found = true;
         }),
         C::self_signed, M::full, {R::incomplete_chain}},
        {"issued by the Cloudflare Origin CA, whose root is not loaded",
         with(trusted_tls(), [](TlsFacts& t) {
             t.chain.pop_back();
             t.chain[0].issuer = "OU=CloudFlare Origin SSL Certificate Authority,O=CloudFlare\\, Inc.,C=US";
             t.trust = {};
             t.trust.signer_not_found = true;
         }),
         C::self_signed, M::full, {R::origin_ca_not_loaded}},
        {"signer not a CA",
         with(trusted_tls(), [](TlsFacts& t) { t.trust = {}; t.trust.signer_not_ca = true; }),
         C::self_signed, M::full, {R::signer_not_ca}},
        {"insecure algorithm",
         with(trusted_tls(), [](TlsFacts& t) { t.trust.trusted = false; t.trust.insecure_algorithm = true; }),
         C::self_signed, M::full, {R::insecure_algorithm}},
        {"purpose mismatch",
         with(trusted_tls(), [](TlsFacts& t) { t.trust.trusted = false; t.trust.purpose_mismatch = true; }),
         C::self_signed, M::full, {R::purpose_mismatch}},
        {"invalid signature",
         with(trusted_tls(), [](TlsFacts& t) { t.trust.trusted = false; t.trust.invalid_signature = true; }),
         C::self_signed, M::full, {R::invalid_signature}},
        {"revoked",
         with(trusted_tls(), [](TlsFacts& t) { t.trust.trusted = false; t.trust.revoked = true; }),
         C::self_signed, M::full, {R::revoked}},
        {"trusted flag alone with a flagged problem still fails",
         with(trusted_tls(), [](TlsFacts& t) { t.trust.revoked = true; }),
         C::self_signed, M::full, {R::revoked}},
        {"untrusted with no reported cause",
         with(trusted_tls(), [](TlsFacts& t) { t.trust.trusted = false; }),
         C::self_signed, M::full, {}},
        {"hostname mismatch", with(trusted_tls(), [](TlsFacts& t) { t.name_matches = false; }),
         C::self_signed, M::full, {R::hostname_mismatch}},
        {"trusted but expired leaf",
         with(trusted_tls(), [](TlsFacts& t) { t.chain[0].not_after = now - 1; }),
         C::self_signed, M::full, {R::expired}},
        {"expired intermediate",
         with(trusted_tls(), [](TlsFacts& t) { t.chain[1].not_after = now - day; }),
         C::self_signed, M::full, {R::expired}},
        // validity over the path that verified, anchor included
        {"expired cross-certificate no path uses (chain of pain)",
         with(trusted_tls(), [](TlsFacts& t) {
             CertFacts cross = root_cert();
             cross.issuer = "CN=Old Root";
             cross.not_after = now - 30 * day;
             t.chain.push_back(cross);
             t.trust.path = {0, 1};
             t.trust.anchor = root_cert();
         }),
         C::ca_trusted, M::strict, {}},
        {"expired anchor", with(trusted_tls(), [](TlsFacts& t) {
             t.trust.path = {0, 1};
             t.trust.anchor = root_cert();
             t.trust.anchor->not_after = now - day;
         }),
         C::self_signed, M::full, {R::expired}},
        {"anchor not yet valid", with(trusted_tls(), [](TlsFacts& t) {
             t.trust.path = {0, 1};
             t.trust.anchor = root_cert();
             t.trust.anchor->not_before = now + day;
         }),
         C::self_signed, M::full, {R::not_yet_valid}},
        {"expired intermediate on the path", with(trusted_tls(), [](TlsFacts& t) {
             t.trust.path = {0, 1};
             t.trust.anchor = root_cert();
             t.chain[1].not_after = now - day;
         }),
         C::self_signed, M::full, {R::expired}},
        {"not yet valid leaf",
         with(trusted_tls(), [](TlsFacts& t) { t.chain[0].not_before = now + 1; }),
         C::self_signed, M::full, {R::not_yet_valid}},
        {"everything wrong at once, reasons in enum order without duplicates",
         with(self_signed_tls(), [](TlsFacts& t) {
             t.name_matches = false;
             t.chain[0].not_after = now - day;
             t.chain.push_back(t.chain[0]);  // the same expired certificate twice
             t.legacy_protocol = true;
             t.trust.insecure_algorithm = true;
         }),
         C::self_signed, M::full,
         {R::self_signed, R::expired, R::hostname_mismatch, R::insecure_algorithm,
          R::legacy_protocol}},

        // caveats: added whatever the class
        {"client certificate requested, handshake cut after the certificate",
         with(trusted_tls(), [](TlsFacts& t) {
             t.client_cert_requested = true;
             t.handshake_completed = false;
             t.error = "certificate required";
             t.failure = R::tls_alert;
         }),
         C::ca_trusted, M::strict, {R::client_cert_required}},

        // a handshake the client refused after the certificate: the certificate decides nothing
        {"CA-trusted chain, ServerKeyExchange signature does not verify (impostor)",
         with(trusted_tls(), [](TlsFacts& t) {
             t.handshake_completed = false;
             t.failure = R::bad_signature;
         }),
         C::unreachable, M::none, {R::bad_signature}},
        {"bad signature even though a client certificate was asked for",
         with(trusted_tls(), [](TlsFacts& t) {
             t.client_cert_requested = true;
             t.handshake_completed = false;
             t.failure = R::bad_signature;
         }),
         C::unreachable, M::none, {R::bad_signature}},
        {"leaf keyUsage without digitalSignature",
         with(trusted_tls(), [](TlsFacts& t) {
             t.handshake_completed = false;
             t.failure = R::bad_key_usage;
         }),
         C::unreachable, M::none, {R::bad_key_usage}},
        {"DH group the client rejects",
         with(trusted_tls(), [](TlsFacts& t) {
             t.handshake_completed = false;
             t.failure = R::weak_key_exchange;
         }),
         C::unreachable, M::none, {R::weak_key_exchange}},
        {"alert after the certificate, no client certificate asked for",
         with(trusted_tls(), [](TlsFacts& t) {
             t.handshake_completed = false;
             t.failure = R::tls_alert;
         }),
         C::unreachable, M::none, {R::tls_alert}},
        {"other TLS error after the certificate",
         with(trusted_tls(), [](TlsFacts& t) {
             t.handshake_completed = false;
             t.failure = R::tls_error;
         }),
         C::unreachable, M::none, {R::tls_error}},
        {"failed handshake without a recorded reason",
         with(trusted_tls(), [](TlsFacts& t) { t.handshake_completed = false; }),
         C::unreachable, M::none, {R::tls_error}},
        {"client certificate requested by a self-signed origin",
         with(self_signed_tls(), [](TlsFacts& t) { t.client_cert_requested = true; }),
         C::self_signed, M::full, {R::self_signed, R::client_cert_required}},
        {"client certificate presented and accepted: nothing to say",
         with(trusted_tls(), [](TlsFacts& t) {
             t.client_cert_requested = true;
             t.client_cert_presented = true;
         }),
         C::ca_trusted, M::strict, {}},
        {"client certificate presented and refused: no mode, whatever the certificate",
         with(trusted_tls(), [](TlsFacts& t) {
             t.client_cert_requested = true;
             t.client_cert_presented = true;
             t.client_cert_rejected = true;
         }),
         C::unreachable, M::none, {R::client_cert_rejected}},
        {"legacy protocol",
         with(trusted_tls(), [](TlsFacts& t) {
             t.protocol = "TLS1.0";
             t.cipher = "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA";
             t.group = "SECP256R1";
             t.legacy_protocol = true;
         }),
         C::ca_trusted, M::strict, {R::legacy_protocol}},

        // the negotiated handshake against the edge's offer (rules/edge_profile.cpp)
        {"TLS 1.2 suite in the offer", with(trusted_tls(), [](TlsFacts& t) {
             t.protocol = "TLS1.2";
             t.cipher = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";
             t.group = "X25519";
         }),
         C::ca_trusted, M::strict, {}},
        {"3DES at TLS 1.0, the one version it is offered at", with(trusted_tls(), [](TlsFacts& t) {
             t.protocol = "TLS1.0";
             t.cipher = "TLS_RSA_WITH_3DES_EDE_CBC_SHA";
             t.legacy_protocol = true;
         }),
         C::ca_trusted, M::strict, {R::legacy_protocol}},
        {"3DES at TLS 1.2: not offered", with(trusted_tls(), [](TlsFacts& t) {
             t.protocol = "TLS1.2";
             t.cipher = "TLS_RSA_WITH_3DES_EDE_CBC_SHA";
         }),
         C::unreachable, M::none, {R::no_shared_cipher}},
        {"suite GnuTLS offers but the edge does not (ECDHE-ECDSA-CHACHA20 at TLS 1.2)",
         with(trusted_tls(), [](TlsFacts& t) {
             t.protocol = "TLS1.2";
             t.cipher = "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256";
             t.group = "X25519";
         }),
         C::unreachable, M::none, {R::no_shared_cipher}},
        {"DHE suite", with(trusted_tls(), [](TlsFacts& t) {
             t.protocol = "TLS1.2";
             t.cipher = "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256";
             t.group = "FFDHE2048";
         }),
         C::unreachable, M::none, {R::no_shared_cipher}},
        {"group not offered", with(trusted_tls(), [](TlsFacts& t) { t.group = "SECP521R1"; }),
         C::unreachable, M::none, {R::no_shared_cipher}},
        {"version not offered", with(trusted_tls(), [](TlsFacts& t) { t.protocol = "SSL3.0"; }),
         C::unreachable, M::none, {R::no_shared_protocol}},
        // a handshake the origin ended after its CertificateRequest: the ServerHello's code
        // point decides, the name GnuTLS could not give is only the code
        {"client certificate refused, suite outside the offer by its code point",
         refused_client_cert(0xcca9),  // ECDHE-ECDSA-CHACHA20-POLY1305
         C::unreachable, M::none, {R::no_shared_cipher}},
        {"client certificate refused, suite in the offer by its code point",
         refused_client_cert(0xc02b),  // ECDHE-ECDSA-AES128-GCM-SHA256
         C::ca_trusted, M::strict, {R::client_cert_required}},
        {"a failed handshake is judged by its failure, not the suite",
         with(trusted_tls(), [](TlsFacts& t) {
             t.protocol = "TLS1.2";
             t.cipher_id = 0xcca9;
             t.handshake_completed = false;
             t.failure = R::bad_signature;
         }),
         C::unreachable, M::none, {R::bad_signature}},
    };

    for (const auto& row : rows) {
        INFO(row.name);
        const Classification got = classify_probe(probe_of(row.outcome), now);
        CHECK(to_string(got.cls) == to_string(row.cls));
        CHECK(to_string(got.mode) == to_string(row.mode));
        CHECK(got.mode == cloudflare_mode(got.cls));
        std::vector<std::string> got_reasons, want_reasons;
        for (auto r : got.reasons) got_reasons.emplace_back(to_string(r));
        for (auto r : row.reasons) want_reasons.emplace_back(to_string(r));
        CHECK(got_reasons == want_reasons);
    }
}

TEST_CASE("classify_probe: every reason a certificate can produce is covered", "[rules][classify]") {
    // Guards the table above: if a reason is added to the enum between self-signed and
    // client-cert-required, a row for it must be added too.
    const std::vector<Reason> certificate_reasons = {
        Reason::self_signed,       Reason::unknown_issuer,    Reason::incomplete_chain,
        Reason::origin_ca_not_loaded,
        Reason::expired,           Reason::not_yet_valid,     Reason::hostname_mismatch,
        Reason::insecure_algorithm, Reason::purpose_mismatch, Reason::signer_not_ca,
        Reason::invalid_signature, Reason::revoked,           Reason::pin_mismatch,
        Reason::legacy_protocol,   Reason::client_cert_required,
    };
    for (std::size_t i = 0; i < certificate_reasons.size(); ++i)
        CHECK(static_cast<std::size_t>(certificate_reasons[i]) == i);
}

TEST_CASE("classify_probe: pins", "[rules][classify][pins]") {
    const std::string leaf_pin = "sha256/" + leaf_spki;
    const std::string intermediate_pin = "sha256/" + intermediate_spki;
    const std::string other_pin = "sha256/" + other_spki;

    SECTION("a pin on the leaf makes even a self-signed, expired origin pin-matching") {
        TlsFacts t = self_signed_tls();
        t.chain[0].not_after = now - day;
        const auto got = classify_probe(probe_of(t), now, {other_pin, leaf_pin});
        CHECK(got.cls == OriginClass::pin_matching);
        CHECK(got.mode == EdgeMode::strict);
        CHECK(got.reasons == std::vector<Reason>{Reason::self_signed, Reason::expired});
    }
    SECTION("a pin on the intermediate matches") {
        TlsFacts t = trusted_tls();
        t.name_matches = false;
        const auto got = classify_probe(probe_of(t), now, {intermediate_pin});
        CHECK(got.cls == OriginClass::pin_matching);
        CHECK(got.mode == EdgeMode::strict);
        CHECK(got.reasons == std::vector<Reason>{Reason::hostname_mismatch});
    }
    SECTION("no pin matches: the class stays, pin-mismatch is added") {
        const auto trusted = classify_probe(probe_of(trusted_tls()), now, {other_pin});
        CHECK(trusted.cls == OriginClass::ca_trusted);
        CHECK(trusted.mode == EdgeMode::strict);
        CHECK(trusted.reasons == std::vector<Reason>{Reason::pin_mismatch});

        const auto self_signed = classify_probe(probe_of(self_signed_tls()), now, {other_pin});
        CHECK(self_signed.cls == OriginClass::self_signed);
        CHECK(self_signed.mode == EdgeMode::full);
        CHECK(self_signed.reasons ==
              std::vector<Reason>{Reason::self_signed, Reason::pin_mismatch});
    }
    SECTION("a pin is compared whole, prefix included") {
        const auto got = classify_probe(probe_of(trusted_tls()), now, {leaf_spki});
        CHECK(got.cls == OriginClass::ca_trusted);
        CHECK(got.reasons == std::vector<Reason>{Reason::pin_mismatch});
    }
    SECTION("no pins configured: no pin reasons") {
        const auto got = classify_probe(probe_of(trusted_tls()), now, {});
        CHECK(got.cls == OriginClass::ca_trusted);
        CHECK(got.reasons.empty());
    }
    SECTION("pins do not apply where no certificate was seen") {
        const auto http = classify_probe(probe_of(HttpFacts{true, 443, "HTTP/1.1 400"}), now, {leaf_pin});
        CHECK(http.cls == OriginClass::plaintext);
        CHECK(http.reasons == std::vector<Reason>{Reason::http_on_tls_port});
        const auto failed = classify_probe(probe_of(Failure{Reason::timeout, ""}), now, {leaf_pin});
        CHECK(failed.cls == OriginClass::unreachable);
        CHECK(failed.reasons == std::vector<Reason>{Reason::timeout});
    }
}

TEST_CASE("classify: the weakest probe decides", "[rules][classify]") {
    SECTION("no probes: not scanned") {
        const Observation empty;
        const auto got = classify(empty, now);
        CHECK(got.cls == OriginClass::unreachable);
        CHECK(got.mode == EdgeMode::none);
        CHECK(got.reasons == std::vector<Reason>{Reason::not_scanned});
        CHECK(deciding_probe(empty, now) == nullptr);
    }
    SECTION("one probe") {
        Observation o;
        o.probes = {probe_of(self_signed_tls())};
        CHECK(classify(o, now).cls == OriginClass::self_signed);
        CHECK(deciding_probe(o, now) == &o.probes[0]);
    }
    SECTION("the lowest mode wins, wherever it is") {
        Observation o;
        o.probes = {probe_of(trusted_tls()), probe_of(HttpFacts{false, 80, "HTTP/1.1 200 OK"}),
                    probe_of(self_signed_tls())};
        const auto got = classify(o, now);
        CHECK(got.cls == OriginClass::plaintext);
        CHECK(got.mode == EdgeMode::flexible);
        CHECK(got.reasons == std::vector<Reason>{Reason::refused});
        CHECK(deciding_probe(o, now) == &o.probes[1]);
    }
    SECTION("ties: the first probe decides") {
        TlsFacts mismatch = trusted_tls();
        mismatch.name_matches = false;
        Observation o;
        o.probes = {probe_of(trusted_tls()), probe_of(mismatch), probe_of(self_signed_tls())};
        const auto got = classify(o, now);
        CHECK(got.cls == OriginClass::self_signed);
        CHECK(got.reasons == std::vector<Reason>{Reason::hostname_mismatch});
        CHECK(deciding_probe(o, now) == &o.probes[1]);
    }
    SECTION("pins are applied to every probe") {
        Observation o;
        o.probes = {probe_of(trusted_tls()), probe_of(self_signed_tls())};
        const auto got = classify(o, now, {"sha256/" + leaf_spki});
        CHECK(got.cls == OriginClass::pin_matching);
        CHECK(got.mode == EdgeMode::strict);
        CHECK(deciding_probe(o, now, {"sha256/" + leaf_spki}) == &o.probes[0]);
    }
}

TEST_CASE("classify: an address this host has no route for decides nothing", "[rules][classify]") {
    const Failure no_ipv6{Reason::no_route, no_ipv6_route_detail, true};
    const Failure no_route{Reason::no_route, "No route to host"};
    SECTION("another address was probed: it decides") {
        Observation o;
        o.probes = {probe_of(no_ipv6), probe_of(trusted_tls())};
        CHECK(classify(o, now).cls == OriginClass::ca_trusted);
        CHECK(deciding_probe(o, now) == &o.probes[1]);
        CHECK(not_probed_here(o.probes[0]));
        CHECK_FALSE(decides(o, o.probes[0]));
        CHECK(decides(o, o.probes[1]));
    }
    SECTION("every address skipped: unreachable, no-route") {
        Observation o;
        o.probes = {probe_of(no_ipv6), probe_of(no_ipv6)};
        const auto got = classify(o, now);
        CHECK(got.cls == OriginClass::unreachable);
        CHECK(got.reasons == std::vector<Reason>{Reason::no_route});
        CHECK(deciding_probe(o, now) == &o.probes[0]);
        CHECK(decides(o, o.probes[1]));
    }
    SECTION("a no-route from the path still decides") {
        Observation o;
        o.probes = {probe_of(trusted_tls()), probe_of(no_route)};
        CHECK(classify(o, now).cls == OriginClass::unreachable);
        CHECK_FALSE(not_probed_here(o.probes[1]));
    }
}

TEST_CASE("earliest_expiry: the first expiry on the path, and which certificate it is", "[rules][classify][path]") {
    using rules::earliest_expiry;
    using rules::path_role;
    TlsFacts t = trusted_tls();
    t.trust.path = {0, 1};
    t.trust.anchor = root_cert();
    CHECK(earliest_expiry(t) == &t.chain[0]);
    CHECK(std::string(path_role(t, earliest_expiry(t))) == "leaf");

    t.chain[1].not_after = now + 9 * day;  // the intermediate expires before the leaf
    CHECK(earliest_expiry(t) == &t.chain[1]);
    CHECK(std::string(path_role(t, earliest_expiry(t))) == "intermediate");

    t.trust.anchor->not_after = now + 2 * day;
    CHECK(earliest_expiry(t) == &*t.trust.anchor);
    CHECK(std::string(path_role(t, earliest_expiry(t))) == "anchor");

    // A presented certificate off the path never counts, however soon it expires.
    CertFacts junk = intermediate_cert();
    junk.not_after = now - 100 * day;
    t.chain.push_back(junk);
    CHECK(earliest_expiry(t) == &*t.trust.anchor);
    CHECK(rules::validity_path(t).size() == 3);

    // Facts without a path (older reports): every presented certificate counts.
    t.trust.path.clear();
    CHECK(earliest_expiry(t) == &t.chain[2]);
    CHECK(earliest_expiry(TlsFacts{}) == nullptr);
}
