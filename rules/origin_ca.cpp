#include "rules/origin_ca.hpp"

#include <algorithm>
#include <utility>

namespace originscan::rules {
namespace {

constexpr std::string_view origin_ca_organization = "CloudFlare, Inc.";

// The attributes of an RFC 4514 distinguished name ("CN=a,O=CloudFlare\, Inc.,C=US"), values
// unescaped (backslash pairs; \XX hex pairs are kept as they are, no Origin CA name has one).
// Multi-valued RDNs ('+') count as separate attributes.
std::vector<std::pair<std::string, std::string>> dn_attributes(std::string_view dn) {
    std::vector<std::pair<std::string, std::string>> out;
    std::string type, value;
    bool in_value = false;
    const auto finish = [&] {
        if (in_value) out.emplace_back(std::move(type), std::move(value));
        type.clear();
        value.clear();
        in_value = false;
    };
    for (std::size_t i = 0; i < dn.size(); ++i) {
        const char c = dn[i];
        if (c == '\\' && i + 1 < dn.size()) {
            (in_value ? value : type) += dn[++i];
        } else if (c == ',' || c == '+') {
            finish();
        } else if (c == '=' && !in_value) {
            in_value = true;
        } else {
            (in_value ? value : type) += c;
        }
    }
    finish();
    return out;
}

}  // namespace

const std::vector<KnownRoot>& cloudflare_origin_ca_roots() {
    static const std::vector<KnownRoot> roots = {
        {"origin_ca_rsa_root.pem", "https://developers.cloudflare.com/ssl/static/origin_ca_rsa_root.pem",
         "CloudFlare Origin SSL Certificate Authority",
         "D3C7E85C91707FC0A12ABC5D88266747AA4FA8E7B162F633FFB3C9D989947620"},
        {"origin_ca_ecc_root.pem", "https://developers.cloudflare.com/ssl/static/origin_ca_ecc_root.pem",
         "CloudFlare Origin SSL ECC Certificate Authority",
         "AA63697A22764B67B2134CE14CB5690EA336940B93986113F49545917832D80D"},
    };
    return roots;
}

std::vector<std::string> origin_ca_fingerprints() {
    std::vector<std::string> out;
    for (const KnownRoot& root : cloudflare_origin_ca_roots()) {
        std::string hex(root.sha256);
        std::transform(hex.begin(), hex.end(), hex.begin(), [](char c) { return c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c; });
        out.push_back(std::move(hex));
    }
    return out;
}

bool issued_by_origin_ca(const CertFacts& cert) {
    bool organization = false, unit = false;
    for (const auto& attribute : dn_attributes(cert.issuer)) {
        // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
        const auto& type = attribute.first;
        const auto& value = attribute.second;
        if (type == "O") organization = organization || value == origin_ca_organization;
        if (type == "OU")
            unit = unit || std::any_of(cloudflare_origin_ca_roots().begin(), cloudflare_origin_ca_roots().end(),
                                       [&](const KnownRoot& root) { return value == root.organizational_unit; });
    }
    return organization && unit;
}

bool origin_ca_not_loaded(const TlsFacts& tls) {
    const TrustFacts& trust = tls.trust;
    if (tls.chain.empty() || trust.trusted || trust.origin_ca_loaded || !trust.signer_not_found) return false;
    // Only for want of the issuer: any other defect of the chain is said as it is.
    if (trust.signer_not_ca || trust.insecure_algorithm || trust.purpose_mismatch || trust.invalid_signature ||
        trust.revoked)
        return false;
    // The certificate whose issuer is missing: the end of the path as far as it goes.
    const std::size_t last = trust.path.empty() ? tls.chain.size() - 1 : trust.path.back();
    return last < tls.chain.size() && issued_by_origin_ca(tls.chain[last]);
}

std::string origin_ca_note() {
    std::string files;
    for (const KnownRoot& root : cloudflare_origin_ca_roots()) {
        if (!files.empty()) files += " and ";
        files += std::string(root.url);
    }
    return "issued by the Cloudflare Origin CA, whose roots this scan was not given: download " + files +
           " and pass each with --ca-file (ci/originscan-ci: CLOUDFLARE_ORIGIN_CA=1)";
}

}  // namespace originscan::rules
