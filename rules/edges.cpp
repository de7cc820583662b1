#include "rules/edges.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <variant>

#include "rules/classify.hpp"
#include "rules/edge_ranges.hpp"

namespace originscan::rules {
namespace {

// Amazon CloudFront, "Supported protocols and ciphers between CloudFront and the origin"
// (docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/
// secure-connections-supported-ciphers-cloudfront-to-origin.html): these ECDSA and RSA
// suites, curves prime256v1, secp384r1 and X25519; Origin SSL Protocols SSLv3, TLSv1,
// TLSv1.1, TLSv1.2 (API_OriginSslProtocols: no TLS 1.3 towards origins). SSLv3 is left out:
// GnuTLS cannot speak it, so an SSLv3-only origin is judged by what it answers to TLS 1.0+.
// In the documentation's order; the GCM and SHA-2 CBC suites exist only at TLS 1.2.
constexpr std::array<OfferedSuite, 16> cloudfront_suites{{
    {0xc02c, "ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS1.2", "TLS1.2"},
    {0xc024, "ECDHE-ECDSA-AES256-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "TLS1.2", "TLS1.2"},
    {0xc00a, "ECDHE-ECDSA-AES256-SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "TLS1.0", "TLS1.2"},
    {0xc02b, "ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS1.2", "TLS1.2"},
    {0xc023, "ECDHE-ECDSA-AES128-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS1.2", "TLS1.2"},
    {0xc009, "ECDHE-ECDSA-AES128-SHA", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS1.0", "TLS1.2"},
    {0xc030, "ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS1.2", "TLS1.2"},
    {0xc028, "ECDHE-RSA-AES256-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "TLS1.2", "TLS1.2"},
    {0xc014, "ECDHE-RSA-AES256-SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "TLS1.0", "TLS1.2"},
    {0xc02f, "ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS1.2", "TLS1.2"},
    {0xc027, "ECDHE-RSA-AES128-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "TLS1.2", "TLS1.2"},
    {0xc013, "ECDHE-RSA-AES128-SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "TLS1.0", "TLS1.2"},
    {0x0035, "AES256-SHA", "TLS_RSA_WITH_AES_256_CBC_SHA", "TLS1.0", "TLS1.2"},
    {0x002f, "AES128-SHA", "TLS_RSA_WITH_AES_128_CBC_SHA", "TLS1.0", "TLS1.2"},
    {0x000a, "DES-CBC3-SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS1.0", "TLS1.2"},
    {0x0004, "RC4-MD5", "TLS_RSA_WITH_RC4_128_MD5", "TLS1.0", "TLS1.2"},
}};
constexpr std::array<std::string_view, 3> cloudfront_groups{"X25519", "SECP256R1", "SECP384R1"};
constexpr std::array<std::string_view, 3> cloudfront_protocols{"TLS1.2", "TLS1.1", "TLS1.0"};
const EdgeOffer cloudfront_offer{cloudfront_suites, cloudfront_groups, cloudfront_protocols};

//                               name  rank  tls  trusted name  in_order pinned reported
// Cloudflare (PRODUCT.md): the class decides (rules/classify.cpp); the table names and ranks.
constexpr std::array<EdgeSetting, 3> cloudflare_settings{{
    {"strict", 3, true, true, true, false, false},
    {"full", 2, true, false, false, false, false},
    {"flexible", 1, false, false, false, false, false},
}};

// CloudFront, Origin Protocol Policy. HTTPS has no "encrypt but do not verify": "If the
// origin server returns an expired certificate, an invalid certificate, or a self-signed
// certificate, or if the origin server returns the certificate chain in the wrong order,
// CloudFront drops the TCP connection, displays HTTP status code 502 (Bad Gateway)"
// (CloudFront Developer Guide, "HTTP 502 status code (Bad Gateway)": SSL/TLS negotiation
// failure; the same page asks for every intermediate: a missing one is incomplete-chain, no
// path to a trusted root). The name checked is the origin domain name (or the forwarded
// Host): NAME. match-viewer makes the same HTTPS demands (for HTTPS viewers) and HTTP ones
// (for HTTP viewers): a rule may ask for it, the report names https-only.
constexpr std::array<EdgeSetting, 3> cloudfront_settings{{
    {"https-only", 3, true, true, true, true, false},
    {"match-viewer", 3, true, true, true, true, false, false},
    {"http-only", 1, false, false, false, false, false},
}};

// Fastly backends (VCL backend / API: use_ssl, ssl_check_cert on by default,
// ssl_cert_hostname "the hostname used to verify a server's certificate" which may differ
// from ssl_sni_hostname, ssl_ca_cert a private CA: --ca-file). "tls-unverified" is
// ssl_check_cert off (--no-ssl-check-cert).
constexpr std::array<EdgeSetting, 3> fastly_settings{{
    {"tls-verified", 3, true, true, true, false, false},
    {"tls-unverified", 2, true, false, false, false, false},
    {"http", 1, false, false, false, false, false},
}};

// Akamai, Origin Server behavior (techdocs.akamai.com, property rules "origin"):
// verificationMode PLATFORM_SETTINGS verifies against Akamai's standard CA set and the
// origin hostname (customValidCnValues defaults to {{Origin Hostname}}: a rule's
// cert_hostname stands for another value); CUSTOM / THIRD_PARTY can honour specific
// certificates instead (pinned: a pin of the rules file). There is no unverified HTTPS.
// originSni off is not modelled: the scanner always sends SNI for a DNS name.
constexpr std::array<EdgeSetting, 3> akamai_settings{{
    {"platform-settings", 3, true, true, true, false, false},
    {"custom-pinned", 3, true, false, false, false, true},
    {"http", 1, false, false, false, false, false},
}};

// Azure Front Door origins: forwarding protocol HTTPS / HTTP / match; a trusted public CA is
// always required, "certificate subject name validation" (enforceCertificateNameCheck) can
// be turned off; with it on, certificateNameCheckValidationMode OriginHostname (NAME) or
// CustomCertificateSubject (a rule's cert_hostname).
constexpr std::array<EdgeSetting, 3> azure_settings{{
    {"https", 3, true, true, true, false, false},
    {"https-no-name-check", 2, true, true, false, false, false},
    {"http", 1, false, false, false, false, false},
}};

// Who can present a client certificate to an origin that asks for one:
// - Cloudflare: Authenticated Origin Pulls (PRODUCT.md; --client-cert stands for its
//   certificate);
// - CloudFront: origin mutual TLS, OriginMtlsConfig ClientCertificateArn
//   (docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/origin-mtls-authentication.html);
// - Fastly: a backend's ssl_client_cert / ssl_client_key (VCL backend, API backend);
// - Akamai: the "mTLS Edge Server to Origin" behavior (mtlsOriginKeystore);
// - Azure Front Door cannot: "Azure Front Door doesn't support client/mutual authentication
//   (mTLS)" (learn.microsoft.com/azure/frontdoor/end-to-end-tls); its newer mTLS is between
//   the viewer and Front Door (tls-policy, "Mutual TLS authentication in Azure Front Door").
//
// Origin TLS versions: Azure Front Door "supports TLS 1.2 and TLS 1.3 for origin
// connections" (learn.microsoft.com/azure/frontdoor/tls-policy; end-to-end-tls: TLS 1.0 and
// 1.1 are not supported). The default offer reaches TLS 1.3, so a default handshake that
// settled at TLS 1.0/1.1 is an origin whose highest version is below 1.2. Cloudflare's and
// CloudFront's tables go down to TLS 1.0 (their offers say so). Fastly (a backend's
// min_tls_version / max_tls_version) and Akamai (Origin Server, Origin TLS Version) set the
// range per backend: not modelled, the default offer's range stands for theirs.
//
//   id            title         offer               settings             other_name min   client_cert
const std::array<EdgeProfile, 5> profiles{{
    {"cloudflare", "Cloudflare", &cloudflare_offer(), cloudflare_settings, false, "", true},
    {"cloudfront", "CloudFront", &cloudfront_offer, cloudfront_settings, false, "", true},
    // Fastly, Akamai and Azure document no origin cipher list: the default handshake (the
    // Cloudflare table) stands for theirs.
    {"fastly", "Fastly", nullptr, fastly_settings, true, "", true},
    {"akamai", "Akamai", nullptr, akamai_settings, true, "", true},
    {"azure", "Azure", nullptr, azure_settings, true, "TLS1.2", false},
}};

void normalise(std::vector<Reason>& reasons) {
    std::sort(reasons.begin(), reasons.end());
    reasons.erase(std::unique(reasons.begin(), reasons.end()), reasons.end());
}

bool has(const std::vector<Reason>& reasons, Reason reason) {
    return std::find(reasons.begin(), reasons.end(), reason) != reasons.end();
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!out.empty() && out.back() == '.') out.pop_back();
    return out;
}

bool pattern_matches(std::string_view pattern, std::string_view name) {
    const std::string p = lower(pattern);
    const std::string n = lower(name);
    if (p.rfind("*.", 0) != 0) return p == n;
    const std::size_t dot = n.find('.');
    // The wildcard is one whole non-empty label: "*.example.com" covers "a.example.com" only.
    return dot != std::string::npos && dot > 0 && n.compare(dot, std::string::npos, p, 1) == 0;
}

EdgeJudgement judgement(std::string_view edge, std::string_view setting, int rank, std::vector<Reason> reasons) {
    normalise(reasons);
    EdgeJudgement j;
    j.edge = edge;
    j.setting = setting;
    j.rank = rank;
    j.reasons = std::move(reasons);
    return j;
}

EdgeJudgement none_with(const EdgeProfile& profile, std::vector<Reason> reasons) {
    return judgement(profile.id, "none", 0, std::move(reasons));
}

EdgeJudgement with_setting(const EdgeProfile& profile, const EdgeSetting& setting, std::vector<Reason> reasons) {
    return judgement(profile.id, setting.name, setting.rank, std::move(reasons));
}

// Why no TLS setting of the edge takes this handshake, whatever the certificate; empty when
// one may. "TLS1.0" < ... < "TLS1.3" compare as text (and "SSL3.0" below them all).
std::vector<Reason> edge_cannot(const EdgeProfile& profile, const TlsFacts& tls) {
    std::vector<Reason> cannot;
    if (!profile.min_protocol.empty() && tls.protocol < profile.min_protocol) cannot.push_back(Reason::legacy_protocol);
    // Asked at all, presented or not: the scanner's own certificate (--client-cert) getting
    // through says nothing of a handshake without one, and an origin that let a handshake
    // without one finish may still refuse its requests (nginx ssl_verify_client optional).
    if (!profile.presents_client_cert && tls.client_cert_requested) cannot.push_back(Reason::client_cert_required);
    return cannot;
}

// Why a TLS setting does not take this handshake; empty when it does.
std::vector<Reason> setting_failures(const EdgeSetting& setting, const TlsFacts& tls, const Classification& c,
                                     std::int64_t now, bool name_ok) {
    std::vector<Reason> fails;
    if (setting.pinned) {  // only asked with pins configured (judge_edge_probe)
        if (c.cls != OriginClass::pin_matching) fails.push_back(Reason::pin_mismatch);
        return fails;
    }
    if (setting.trusted) {
        for (Reason r : authentication_failures(tls, now))
            if (r != Reason::hostname_mismatch) fails.push_back(r);
        if (!tls.trust.trusted && fails.empty()) fails.push_back(Reason::unknown_issuer);
    }
    if (setting.name_check && !name_ok) fails.push_back(Reason::hostname_mismatch);
    if (setting.chain_in_order && !tls.trust.chain_in_order) fails.push_back(Reason::chain_misordered);
    return fails;
}

}  // namespace

std::span<const EdgeProfile> edge_profiles() { return profiles; }

const EdgeProfile* edge_profile(std::string_view id) {
    for (const auto& p : profiles)
        if (p.id == id) return &p;
    return nullptr;
}

std::optional<std::vector<std::string>> parse_edge_list(std::string_view text, std::string& bad) {
    std::vector<bool> chosen(profiles.size(), false);
    chosen[0] = true;
    std::size_t start = 0;
    for (;;) {
        const std::size_t comma = text.find(',', start);
        const std::string_view word = text.substr(start, comma == std::string_view::npos ? comma : comma - start);
        if (word == "all") {
            std::fill(chosen.begin(), chosen.end(), true);
        } else {
            const EdgeProfile* p = edge_profile(word);
            if (p == nullptr) {
                bad = std::string(word);
                return std::nullopt;
            }
            chosen[static_cast<std::size_t>(p - profiles.data())] = true;
        }
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < profiles.size(); ++i)
        if (chosen[i]) ids.emplace_back(profiles[i].id);
    return ids;
}

std::optional<int> setting_rank(const EdgeProfile& profile, std::string_view setting) {
    if (setting == "none") return 0;
    for (const auto& s : profile.settings)
        if (s.name == setting) return s.rank;
    return std::nullopt;
}

bool needs_own_handshake(const EdgeOffer& offer, const Probe& probe) {
    if (const auto* tls = std::get_if<TlsFacts>(&probe.outcome)) return outside_offer(offer, *tls).has_value();
    // The origin refused the default offer (the broad handshake said so, or it only alerted):
    // another offer may be taken.
    const auto* failure = std::get_if<Failure>(&probe.outcome);
    return failure != nullptr && (failure->reason == Reason::no_shared_cipher ||
                                  failure->reason == Reason::no_shared_protocol || failure->reason == Reason::tls_alert);
}

const std::variant<Failure, HttpFacts, TlsFacts>& outcome_for(const EdgeProfile& profile, const Probe& probe) {
    for (const auto& offer : probe.offers)
        if (offer.offer == profile.id) return offer.outcome;
    return probe.outcome;
}

bool leaf_names(const CertFacts& leaf, std::string_view name) {
    if (name.find(':') != std::string_view::npos || (!name.empty() && std::isdigit(static_cast<unsigned char>(name.back())))) {
        for (const auto& ip : leaf.ip_addresses)
            if (lower(ip) == lower(name)) return true;
    }
    return std::any_of(leaf.dns_names.begin(), leaf.dns_names.end(),
                       [&](const std::string& pattern) { return pattern_matches(pattern, name); });
}

EdgeJudgement judge_edge_probe(const EdgeProfile& profile, const Probe& probe, const Origin& origin, std::int64_t now,
                               const std::vector<std::string>& pins, const std::string& cert_hostname,
                               bool without_sni) {
    if (profile.id == default_edge) {
        const Classification c = classify_probe(probe, now, pins);
        return judgement(profile.id, to_string(c.mode), static_cast<int>(c.mode), c.reasons);
    }
    // The SNI handshake's certificate says nothing of the one shown without SNI: when that
    // handshake is not among the facts (a report read back without it, a rule added since),
    // nothing is claimed for the edge. An IP name sent no SNI already.
    const bool own_handshake = std::any_of(probe.offers.begin(), probe.offers.end(),
                                           [&](const auto& offer) { return offer.offer == profile.id; });
    if (without_sni && !origin.name_is_ip && std::holds_alternative<TlsFacts>(probe.outcome) && !own_handshake)
        return none_with(profile, {Reason::not_scanned});
    const auto& outcome = outcome_for(profile, probe);
    const Classification c = classify_outcome(outcome, now, pins, profile.offer ? *profile.offer : cloudflare_offer());
    if (c.cls == OriginClass::unreachable) return none_with(profile, c.reasons);
    if (c.cls == OriginClass::plaintext) {
        for (const auto& s : profile.settings)
            if (!s.tls) return with_setting(profile, s, c.reasons);
        return none_with(profile, c.reasons);
    }
    const TlsFacts& tls = std::get<TlsFacts>(outcome);
    if (std::vector<Reason> cannot = edge_cannot(profile, tls); !cannot.empty())
        return none_with(profile, std::move(cannot));
    const bool other_name = profile.other_name && !cert_hostname.empty() && lower(cert_hostname) != lower(origin.name);
    const bool name_ok = other_name ? !tls.chain.empty() && leaf_names(tls.chain.front(), cert_hostname)
                                    : tls.name_matches;
    // Caveats that hold whatever the setting: the edge must present a client certificate (it
    // can: edge_cannot), or the origin speaks only TLS 1.0/1.1 (which the edge speaks).
    std::vector<Reason> reasons;
    for (Reason r : {Reason::client_cert_required, Reason::legacy_protocol})
        if (has(c.reasons, r)) reasons.push_back(r);
    // A TLS origin: whether its HTTP port would answer was not asked, so the HTTP settings
    // are never the answer here (as Cloudflare's flexible is not for a TLS origin).
    for (const auto& s : profile.settings) {
        if (!s.tls || !s.reported || (s.pinned && pins.empty())) continue;
        std::vector<Reason> fails = setting_failures(s, tls, c, now, name_ok);
        if (fails.empty()) return with_setting(profile, s, std::move(reasons));
        reasons.insert(reasons.end(), fails.begin(), fails.end());
    }
    return none_with(profile, std::move(reasons));
}

EdgeJudgement judge_edge(const EdgeProfile& profile, const OriginResult& result, std::int64_t now,
                         const std::vector<std::string>& pins, const std::string& cert_hostname, bool without_sni) {
    if (!result.scanned) return none_with(profile, {Reason::not_scanned});
    std::optional<EdgeJudgement> weakest;
    for (const auto& probe : result.observation.probes) {
        if (!decides(result.observation, probe)) continue;
        EdgeJudgement j = judge_edge_probe(profile, probe, result.origin, now, pins, cert_hostname, without_sni);
        if (!weakest || j.rank < weakest->rank) weakest = std::move(j);  // ties: the first stays
    }
    if (!weakest) return none_with(profile, {Reason::not_scanned});
    const auto& probes = result.observation.probes;
    if (std::any_of(probes.begin(), probes.end(), is_edge_probe)) {
        weakest->reasons.push_back(Reason::edge_address);
        normalise(weakest->reasons);
    }
    return *weakest;
}

}  // namespace originscan::rules
