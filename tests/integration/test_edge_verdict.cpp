// The edge's verdict (project issue 8): in-process GnuTLS origins on 127.0.0.1 that an edge
// would refuse although their certificate looks fine, scanned and judged like the CLI does.
// Certificates are generated here (hostile_peers), validity windows relative to now.
#include <catch2/catch.hpp>

#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "model/enums.hpp"
#include "model/observation.hpp"
#include "model/origin.hpp"
#include "rules/classify.hpp"
#include "rules/edge_profile.hpp"
#include "scanner/scanner.hpp"
#include "scanner/tls_context.hpp"
#include "tests/integration/hostile_peers.hpp"

namespace originscan {
namespace {

namespace hb = hostile::behaviour;
using hostile::credentials;
using hostile::origin_at;
using hostile::CertSpec;
using hostile::Identity;
using hostile::LoopbackServer;
using hostile::ServerCredentials;
using CaFile = hostile::TempPem;

constexpr std::int64_t kDay = 86'400;

using hostile::Authority;
using hostile::leaf_spec;

Authority root_ca(const std::string& name, std::int64_t not_before, std::int64_t not_after,
                  hostile::Privkey key = hostile::generate_key()) {
    return hostile::make_authority(name, nullptr, not_before, not_after, std::move(key));
}

Authority sub_ca(const std::string& name, const Authority& issuer, std::int64_t not_before,
                 std::int64_t not_after, hostile::Privkey key = hostile::generate_key()) {
    return hostile::make_authority(name, &issuer, not_before, not_after, std::move(key));
}

// A leaf for `key` issued by `issuer`; the chain presented is the leaf alone (add the rest).
Identity leaf_identity(const CertSpec& spec, const Authority& issuer, hostile::Privkey key = hostile::generate_key()) {
    Identity id{std::move(key), {}};
    id.chain.push_back(hostile::make_certificate(spec, id.key.get(), issuer.cert.get(), issuer.key.get()));
    return id;
}

Observation scan(const CaFile& ca, const Origin& origin) {
    scanner::ScannerOptions options;
    options.ca_files = {ca.path()};
    options.system_trust = false;
    options.timeout = std::chrono::milliseconds(5000);
    options.http_port = 0;
    options.threads = 1;
    scanner::Scanner scanner(options);
    return scanner.scan_one(origin);
}

std::string reasons_of(const Classification& c) {
    std::string out;
    for (Reason r : c.reasons) out += (out.empty() ? "" : ",") + std::string(to_string(r));
    return out;
}

std::string describe(const Observation& observation) {
    std::ostringstream out;
    for (const auto& probe : observation.probes) {
        if (const auto* failure = std::get_if<Failure>(&probe.outcome)) {
            out << "failure " << to_string(failure->reason) << ": " << failure->detail;
        } else if (const auto* tls = std::get_if<TlsFacts>(&probe.outcome)) {
            out << "tls " << tls->protocol << " " << tls->cipher << " completed=" << tls->handshake_completed
                << " failure=" << (tls->failure ? to_string(*tls->failure) : "-") << " error='" << tls->error
                << "' trusted=" << tls->trust.trusted;
        } else {
            out << "http";
        }
    }
    return out.str();
}

const TlsFacts* tls_of(const Observation& observation) {
    return observation.probes.size() == 1 ? std::get_if<TlsFacts>(&observation.probes.front().outcome) : nullptr;
}

struct Judged {
    Observation observation;
    Classification classification;
};

Judged scan_and_judge(const CaFile& ca, const std::string& name, const hostile::Behaviour& behaviour,
                      std::int64_t now = hostile::unix_now()) {
    LoopbackServer server(behaviour);
    Judged out;
    out.observation = scan(ca, origin_at(name, server.port()));
    out.classification = rules::classify(out.observation, now);
    return out;
}

}  // namespace

TEST_CASE("a failed handshake after the certificate is unreachable, with the client's reason", "[edge][refused]") {
    const std::int64_t now = hostile::unix_now();
    const Authority ca = root_ca("originscan edge test CA", now - 30 * kDay, now + 3650 * kDay);
    const CaFile ca_file(hostile::to_pem(ca.cert.get()));

    SECTION("control: the victim's own server is ca-trusted") {
        const Identity victim = leaf_identity(leaf_spec("victim.edge.test"), ca);
        const Judged got = scan_and_judge(ca_file, "victim.edge.test", hb::tls_server(credentials(victim)));
        INFO(describe(got.observation));
        CHECK(to_string(got.classification.cls) == "ca-trusted");
        CHECK(reasons_of(got.classification).empty());
    }

    SECTION("an impostor shows the CA-trusted victim chain but signs with its own key: bad-signature") {
        const Identity victim = leaf_identity(leaf_spec("victim.edge.test"), ca);
        Identity impostor{hostile::generate_key(), {}};
        impostor.chain.push_back(hostile::make_certificate(leaf_spec("victim.edge.test"), impostor.key.get()));
        const Judged got =
            scan_and_judge(ca_file, "victim.edge.test",
                           hb::spliced_certificate(credentials(impostor), {hostile::to_der(victim.chain[0].get())}));
        INFO(describe(got.observation));
        CHECK(to_string(got.classification.cls) == "unreachable");
        CHECK(reasons_of(got.classification) == "bad-signature");
        // The facts of what was shown stay, for information: the victim's trusted chain.
        const TlsFacts* tls = tls_of(got.observation);
        REQUIRE(tls != nullptr);
        CHECK(tls->trust.trusted);
        CHECK(tls->name_matches);
        CHECK(tls->chain.front().sha256_fingerprint == hostile::sha256_hex(victim.chain[0].get()));
        CHECK(tls->protocol == "TLS1.2");
        CHECK_FALSE(tls->handshake_completed);
    }

    SECTION("an ECDSA leaf whose keyUsage is keyCertSign only: bad-key-usage") {
        CertSpec spec = leaf_spec("key-usage.edge.test");
        // The server signs with the key of a well-formed leaf; the origin presents the same
        // key in a certificate whose keyUsage forbids signatures.
        const Identity server = leaf_identity(spec, ca, hostile::generate_key());
        spec.key_usage = GNUTLS_KEY_KEY_CERT_SIGN;
        const hostile::Crt bad = hostile::make_certificate(spec, server.key.get(), ca.cert.get(), ca.key.get());
        const Judged got = scan_and_judge(ca_file, "key-usage.edge.test",
                                          hb::spliced_certificate(credentials(server), {hostile::to_der(bad.get())}));
        INFO(describe(got.observation));
        CHECK(to_string(got.classification.cls) == "unreachable");
        CHECK(reasons_of(got.classification) == "bad-key-usage");
        const TlsFacts* tls = tls_of(got.observation);
        REQUIRE(tls != nullptr);
        CHECK(tls->trust.trusted);
    }

    SECTION("a CA-trusted certificate with the server's own key, bytes differing from what the server hashed: "
            "the server's alert after the certificate is unreachable/tls-alert, not strict") {
        const Identity id = leaf_identity(leaf_spec("transcript.edge.test"), ca);
        // Same name, same key, a fresh serial: every check on the certificate passes, but the
        // Finished messages cannot match.
        const hostile::Crt twin = hostile::make_certificate(leaf_spec("transcript.edge.test"), id.key.get(),
                                                            ca.cert.get(), ca.key.get());
        const Judged got = scan_and_judge(ca_file, "transcript.edge.test",
                                          hb::spliced_certificate(credentials(id), {hostile::to_der(twin.get())}));
        INFO(describe(got.observation));
        CHECK(to_string(got.classification.cls) == "unreachable");
        CHECK(reasons_of(got.classification) == "tls-alert");
        const TlsFacts* tls = tls_of(got.observation);
        REQUIRE(tls != nullptr);
        CHECK(tls->trust.trusted);
        CHECK(tls->name_matches);
        CHECK_FALSE(tls->client_cert_requested);
    }
}

namespace {

// Diffie-Hellman parameters of `bits`, owned.
struct DhParams {
    // Freshly generated, of `bits`.
    explicit DhParams(unsigned bits) {
        if (gnutls_dh_params_init(&params) < 0) throw std::runtime_error("dh_params_init");
        if (gnutls_dh_params_generate2(params, bits) < 0) throw std::runtime_error("dh_params_generate2");
    }
    // RFC 7919 ffdhe2048: a sound group.
    DhParams() {
        if (gnutls_dh_params_init(&params) < 0) throw std::runtime_error("dh_params_init");
        if (gnutls_dh_params_import_raw(params, &gnutls_ffdhe_2048_group_prime, &gnutls_ffdhe_2048_group_generator) < 0)
            throw std::runtime_error("dh_params_import_raw");
    }
    ~DhParams() { gnutls_dh_params_deinit(params); }
    DhParams(const DhParams&) = delete;
    DhParams& operator=(const DhParams&) = delete;
    gnutls_dh_params_t params = nullptr;
};

// DHE-RSA needs an RSA leaf.
Identity rsa_leaf(const std::string& name, const Authority& ca) {
    CertSpec spec = leaf_spec(name);
    spec.key_usage = GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_ENCIPHERMENT;
    return leaf_identity(spec, ca, hostile::generate_rsa_key());
}

// DHE-RSA with AES-GCM only, TLS 1.2; no FFDHE groups, so the parameters given are used.
constexpr const char* kDheOnly =
    "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+DHE-RSA:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:-GROUP-DH-ALL:%PROFILE_VERY_WEAK";

}  // namespace

namespace {

// A CA certificate for `key` (not owned), issued by `issuer` or self-signed when null.
hostile::Crt ca_certificate(const std::string& name, gnutls_x509_privkey_t key, const Authority* issuer,
                            std::int64_t not_before, std::int64_t not_after) {
    CertSpec spec;
    spec.common_name = name;
    spec.is_ca = true;
    spec.not_before = not_before;
    spec.not_after = not_after;
    return issuer ? hostile::make_certificate(spec, key, issuer->cert.get(), issuer->key.get())
                  : hostile::make_certificate(spec, key);
}

// root -> intermediate -> leaf "NAME", the leaf valid for 30 more days unless told otherwise.
struct Pki {
    Pki(std::int64_t root_not_after, std::int64_t intermediate_not_after, const std::string& name)
        : root(root_ca("originscan path test root", now - 3650 * kDay, root_not_after)),
          intermediate(sub_ca("originscan path test intermediate", root, now - 365 * kDay, intermediate_not_after)),
          leaf(leaf_identity(leaf_spec(name), intermediate)),
          ca_file(hostile::to_pem(root.cert.get())) {
        leaf.chain.push_back(hostile::from_der(hostile::to_der(intermediate.cert.get())));
    }
    std::int64_t now = hostile::unix_now();
    Authority root, intermediate;
    Identity leaf;  // chain: leaf, intermediate
    CaFile ca_file;
};

std::vector<std::size_t> path_of(const TlsFacts& tls) { return tls.trust.path; }

}  // namespace

TEST_CASE("validity is judged over the path that verified, anchor included", "[edge][path]") {
    const std::int64_t now = hostile::unix_now();

    SECTION("chain of pain: an expired cross-certificate of the trusted root, presented but unused") {
        Pki pki(now + 3650 * kDay, now + 365 * kDay, "pain.edge.test");
        // The root's name and key, signed by an old root long expired (AddTrust 2020, DST Root CA X3 2021).
        const Authority old_root = root_ca("originscan old root", now - 7300 * kDay, now - 30 * kDay);
        pki.leaf.chain.push_back(ca_certificate("originscan path test root", pki.root.key.get(), &old_root,
                                                now - 3650 * kDay, now - 30 * kDay));
        const Judged got = scan_and_judge(pki.ca_file, "pain.edge.test", hb::tls_server(credentials(pki.leaf)), now);
        INFO(describe(got.observation));
        CHECK(to_string(got.classification.cls) == "ca-trusted");
        CHECK(reasons_of(got.classification).empty());
        const TlsFacts* tls = tls_of(got.observation);
        REQUIRE(tls != nullptr);
        CHECK(tls->chain.size() == 3);
        CHECK(path_of(*tls) == std::vector<std::size_t>{0, 1});
        REQUIRE(tls->trust.anchor);
        CHECK(tls->trust.anchor->sha256_fingerprint == hostile::sha256_hex(pki.root.cert.get()));
    }

    SECTION("an expired anchor is rejected: expired") {
        Pki pki(now - kDay, now + 365 * kDay, "old-anchor.edge.test");
        const Judged got =
            scan_and_judge(pki.ca_file, "old-anchor.edge.test", hb::tls_server(credentials(pki.leaf)), now);
        INFO(describe(got.observation));
        CHECK(to_string(got.classification.cls) == "self-signed");
        CHECK(reasons_of(got.classification) == "expired");
        const TlsFacts* tls = tls_of(got.observation);
        REQUIRE(tls != nullptr);
        CHECK(tls->trust.trusted);  // GnuTLS, time checks off, verified the path
        REQUIRE(tls->trust.anchor);
        CHECK(rules::earliest_expiry(*tls) == &*tls->trust.anchor);
        CHECK(std::string(rules::path_role(*tls, rules::earliest_expiry(*tls))) == "anchor");
    }

    SECTION("an intermediate that expires before the leaf: days left are the intermediate's") {
        Pki pki(now + 3650 * kDay, now + 9 * kDay + 3600, "short-intermediate.edge.test");
        const Judged got =
            scan_and_judge(pki.ca_file, "short-intermediate.edge.test", hb::tls_server(credentials(pki.leaf)), now);
        INFO(describe(got.observation));
        CHECK(to_string(got.classification.cls) == "ca-trusted");
        const TlsFacts* tls = tls_of(got.observation);
        REQUIRE(tls != nullptr);
        const CertFacts* first = rules::earliest_expiry(*tls);
        REQUIRE(first != nullptr);
        CHECK(first == &tls->chain[1]);
        CHECK(std::string(rules::path_role(*tls, first)) == "intermediate");
        CHECK(first->subject == "CN=originscan path test intermediate");
        CHECK((first->not_after - now) / kDay == 9);
    }

    SECTION("expired junk certificates in the presented list that no path uses: still ca-trusted") {
        Pki pki(now + 3650 * kDay, now + 365 * kDay, "junk.edge.test");
        const Authority stranger = root_ca("originscan stranger root", now - 900 * kDay, now - 400 * kDay);
        pki.leaf.chain.insert(pki.leaf.chain.begin() + 1,
                              ca_certificate("originscan stranger sub", hostile::generate_key().get(), &stranger,
                                             now - 800 * kDay, now - 500 * kDay));
        pki.leaf.chain.push_back(hostile::from_der(hostile::to_der(stranger.cert.get())));
        const auto as_given = std::make_shared<const ServerCredentials>(pki.leaf, ServerCredentials::AsGiven{});
        const Judged got = scan_and_judge(pki.ca_file, "junk.edge.test", hb::tls_server(as_given), now);
        INFO(describe(got.observation));
        CHECK(to_string(got.classification.cls) == "ca-trusted");
        CHECK(reasons_of(got.classification).empty());
        const TlsFacts* tls = tls_of(got.observation);
        REQUIRE(tls != nullptr);
        CHECK(tls->chain.size() == 4);
        CHECK(path_of(*tls) == std::vector<std::size_t>{0, 2});
    }
}

TEST_CASE("the edge's offer: an origin that shares nothing with it is unreachable, and says what it speaks",
          "[edge][offer]") {
    const std::int64_t now = hostile::unix_now();
    const Authority ca = root_ca("originscan edge test CA", now - 30 * kDay, now + 3650 * kDay);
    const CaFile ca_file(hostile::to_pem(ca.cert.get()));
    const auto failure_of = [](const Judged& got) {
        const auto* failure = std::get_if<Failure>(&got.observation.probes.front().outcome);
        return failure ? failure->detail : std::string("(not a failure)");
    };

    SECTION("DHE-RSA only, valid chain: no-shared-cipher, with what it speaks") {
        const Identity id = rsa_leaf("dhe-only.edge.test", ca);
        const DhParams dh;
        const auto creds = std::make_shared<const ServerCredentials>(id, dh.params);
        LoopbackServer server(hb::tls_server_with_priority(creds, kDheOnly));
        const Observation seen = scan(ca_file, origin_at("dhe-only.edge.test", server.port()));
        const Judged got{seen, rules::classify(seen, now)};
        INFO(describe(got.observation));
        CHECK(to_string(got.classification.cls) == "unreachable");
        CHECK(reasons_of(got.classification) == "no-shared-cipher");
        CHECK_THAT(failure_of(got), Catch::StartsWith("speaks only TLS1.2 TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"));
        CHECK(server.accepted() == 2);  // the edge's offer, then the broad one
    }

    SECTION("DHE with a 512-bit prime: no-shared-cipher, and the broad offer names the weak key exchange") {
        const Identity id = rsa_leaf("tiny-dh.edge.test", ca);
        const DhParams dh(512);
        const auto creds = std::make_shared<const ServerCredentials>(id, dh.params);
        const Judged got = scan_and_judge(ca_file, "tiny-dh.edge.test", hb::tls_server_with_priority(creds, kDheOnly));
        INFO(describe(got.observation));
        CHECK(to_string(got.classification.cls) == "unreachable");
        CHECK(reasons_of(got.classification) == "no-shared-cipher");
        CHECK_THAT(failure_of(got), Catch::Contains("weak-key-exchange"));
    }

    SECTION("a suite GnuTLS offers but the edge does not (ECDHE-ECDSA-CHACHA20 at TLS 1.2): not strict") {
        const Identity id = leaf_identity(leaf_spec("chacha12.edge.test"), ca);
        const Judged got =
            scan_and_judge(ca_file, "chacha12.edge.test",
                           hb::tls_server_with_priority(credentials(id),
                                                        "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+CHACHA20-POLY1305"));
        INFO(describe(got.observation));
        const TlsFacts* tls = tls_of(got.observation);
        REQUIRE(tls != nullptr);
        CHECK(tls->cipher == "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
        CHECK(to_string(got.classification.cls) == "unreachable");
        CHECK(reasons_of(got.classification) == "no-shared-cipher");
    }

    SECTION("an origin that demands a client certificate is judged on the suite it chose, too") {
        // Classed by its certificate although the handshake ends in the origin's alert (an edge
        // presenting the certificate gets through): the ServerHello already named the suite,
        // so one outside the edge's table is still never strict (TLS 1.2, where the alert
        // comes before the handshake completes, and TLS 1.3, where it comes after).
        struct Case {
            const char* priority;
            const char* cls;
            const char* reasons;
        };
        for (const Case& c : {
                 Case{"NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+CHACHA20-POLY1305", "unreachable", "no-shared-cipher"},
                 Case{"NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM", "ca-trusted", "client-cert-required"},
                 Case{"NORMAL:-VERS-ALL:+VERS-TLS1.3", "ca-trusted", "client-cert-required"},
             }) {
            INFO(c.priority);
            const Identity id = leaf_identity(leaf_spec("mtls.edge.test"), ca);
            const Judged got = scan_and_judge(ca_file, "mtls.edge.test",
                                              hb::tls_server_requiring_client_cert(credentials(id), c.priority));
            INFO(describe(got.observation));
            const TlsFacts* tls = tls_of(got.observation);
            REQUIRE(tls != nullptr);
            CHECK(tls->client_cert_requested);
            CHECK(to_string(got.classification.cls) == std::string(c.cls));
            CHECK(reasons_of(got.classification) == c.reasons);
        }
    }

    SECTION("suites of the table, as the scanner names them: ca-trusted") {
        struct Case {
            const char* priority;
            bool rsa;
            const char* cipher;
        };
        for (const Case& c : {
                 Case{"NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM", false,
                      "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
                 Case{"NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM", false,
                      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
                 Case{"NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ECDHE-RSA:-CIPHER-ALL:+AES-128-CBC:-MAC-ALL:+SHA1", true,
                      "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
                 Case{"NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA:-CIPHER-ALL:+AES-128-CBC:-MAC-ALL:+SHA1", true,
                      "TLS_RSA_WITH_AES_128_CBC_SHA"},
                 Case{"NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA:-CIPHER-ALL:+AES-256-CBC:-MAC-ALL:+SHA1", true,
                      "TLS_RSA_WITH_AES_256_CBC_SHA"},
                 Case{"NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ECDHE-RSA:-CIPHER-ALL:+AES-256-CBC:-MAC-ALL:+SHA384",
                      true, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
                 Case{"NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305", false,
                      "TLS_CHACHA20_POLY1305_SHA256"},
             }) {
            INFO(c.priority);
            const Identity id = c.rsa ? rsa_leaf("suite.edge.test", ca) : leaf_identity(leaf_spec("suite.edge.test"), ca);
            const Judged got =
                scan_and_judge(ca_file, "suite.edge.test", hb::tls_server_with_priority(credentials(id), c.priority));
            INFO(describe(got.observation));
            const TlsFacts* tls = tls_of(got.observation);
            REQUIRE(tls != nullptr);
            CHECK(tls->cipher == c.cipher);
            CHECK(to_string(got.classification.cls) == "ca-trusted");
        }
    }
}

TEST_CASE("the GnuTLS priority offers the edge's table, and only these extras", "[edge][offer][golden]") {
    // GnuTLS's own account of what the scanner's priority offers, against rules/' table. An
    // extra here is one the verdict already refuses (outside_offer); a change in either shows.
    const std::int64_t now = hostile::unix_now();
    const Authority ca = root_ca("originscan edge test CA", now - 30 * kDay, now + 3650 * kDay);
    const CaFile ca_file(hostile::to_pem(ca.cert.get()));
    const scanner::TlsContext context({ca_file.path()}, false);
    std::set<std::uint16_t> offered;
    for (unsigned i = 0;; ++i) {
        unsigned index = 0;
        const int r = gnutls_priority_get_cipher_suite_index(context.priority(), i, &index);
        if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) break;
        if (r < 0) continue;
        unsigned char id[2];
        if (gnutls_cipher_suite_info(index, id, nullptr, nullptr, nullptr, nullptr) == nullptr) continue;
        offered.insert(static_cast<std::uint16_t>(id[0] << 8 | id[1]));
    }
    std::set<std::uint16_t> table;
    for (const auto& suite : rules::cloudflare_offer().suites) table.insert(suite.id);
    for (std::uint16_t id : table) {
        INFO("table suite 0x" << std::hex << id);
        CHECK(offered.count(id) == 1);
    }
    std::set<std::uint16_t> extras;
    for (std::uint16_t id : offered)
        if (table.count(id) == 0) extras.insert(id);
    // ECDHE-{ECDSA,RSA}-CHACHA20-POLY1305 (TLS 1.2), ECDHE-ECDSA-AES128-SHA, -AES256-SHA,
    // ECDHE-ECDSA-AES256-SHA384, ECDHE-ECDSA-DES-CBC3-SHA, ECDHE-RSA-AES256-SHA,
    // ECDHE-RSA-DES-CBC3-SHA, AES256-GCM-SHA384: see scanner/tls_context.cpp.
    const std::set<std::uint16_t> known_extras{0xcca9, 0xcca8, 0xc009, 0xc00a, 0xc024, 0xc008, 0xc014, 0xc012, 0x009d};
    CHECK(extras == known_extras);
    // No DHE, RC4, NULL or SHA-256 CBC suite at all.
    for (std::uint16_t id : offered) {
        INFO("offered 0x" << std::hex << id);
        CHECK_FALSE((id == 0x0032 || id == 0x0033 || id == 0x0038 || id == 0x0039));  // DHE-*-AES-*-SHA
        CHECK_FALSE((id >= 0x009e && id <= 0x00a3));       // DHE-*-GCM
        CHECK_FALSE((id == 0x003c || id == 0x003d || id == 0xc023 || id == 0xc027));  // CBC-SHA256
        CHECK_FALSE((id == 0x0004 || id == 0x0005 || id == 0xc011 || id == 0xc007));  // RC4
        CHECK_FALSE((id == 0x0001 || id == 0x0002 || id == 0x003b));                  // NULL
    }
}

}  // namespace originscan
