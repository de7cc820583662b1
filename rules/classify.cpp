#include "rules/classify.hpp"

#include <algorithm>
#include <variant>

#include "rules/edge_profile.hpp"
#include "rules/edge_ranges.hpp"
#include "rules/origin_ca.hpp"

namespace originscan::rules {
namespace {

// Enum order, no duplicates: the contract for Classification::reasons.
void normalise(std::vector<Reason>& reasons) {
    std::sort(reasons.begin(), reasons.end());
    reasons.erase(std::unique(reasons.begin(), reasons.end()), reasons.end());
}

Classification make(OriginClass cls, std::vector<Reason> reasons) {
    normalise(reasons);
    return {cls, cloudflare_mode(cls), std::move(reasons)};
}

bool any_pin_matches(const std::vector<CertFacts>& chain, const std::vector<std::string>& pins) {
    for (const auto& cert : chain) {
        if (cert.spki_sha256.empty()) continue;
        const std::string pin = "sha256/" + cert.spki_sha256;
        if (std::find(pins.begin(), pins.end(), pin) != pins.end()) return true;
    }
    return false;
}

}  // namespace

std::vector<Reason> authentication_failures(const TlsFacts& tls, std::int64_t now) {
    std::vector<Reason> reasons;
    const CertFacts& leaf = tls.chain.front();
    const TrustFacts& trust = tls.trust;

    // A self-signed leaf that is itself an anchor (e.g. given with --ca-file) is trusted.
    if (leaf.self_signed && !trust.trusted) reasons.push_back(Reason::self_signed);
    if (origin_ca_not_loaded(tls)) {
        // Not an unknown issuer, nor a missing intermediate (Origin CA leaves are issued by the
        // root itself): the scan lacks the anchor the edge has. What to do is origin_ca_note().
        reasons.push_back(Reason::origin_ca_not_loaded);
    } else if (trust.signer_not_found && !leaf.self_signed) {
        // The server sent no intermediate at all when the last certificate it presented is an
        // end-entity one that is not its own issuer: the chain is incomplete rather than
        // anchored somewhere unknown.
        const CertFacts& last = tls.chain.back();
        reasons.push_back(!last.is_ca && !last.self_issued ? Reason::incomplete_chain
                                                           : Reason::unknown_issuer);
    }
    if (trust.signer_not_ca) reasons.push_back(Reason::signer_not_ca);
    if (trust.insecure_algorithm) reasons.push_back(Reason::insecure_algorithm);
    if (trust.purpose_mismatch) reasons.push_back(Reason::purpose_mismatch);
    if (trust.invalid_signature) reasons.push_back(Reason::invalid_signature);
    if (trust.revoked) reasons.push_back(Reason::revoked);
    if (!tls.name_matches) reasons.push_back(Reason::hostname_mismatch);

    // Time is judged here, against the scan time or --now, over the path: an edge verifying
    // the chain fails on an expired intermediate or anchor just as on the leaf, and ignores a
    // presented certificate no path uses.
    for (const CertFacts* cert : validity_path(tls)) {
        if (now > cert->not_after) reasons.push_back(Reason::expired);
        if (now < cert->not_before) reasons.push_back(Reason::not_yet_valid);
    }
    return reasons;
}

namespace {

// The one failed handshake still classed by its certificate: the origin asked for a client
// certificate and then refused the connection with an alert (none or the wrong one was
// presented). An edge presenting the certificate the origin wants gets through.
bool rejected_for_client_certificate(const TlsFacts& tls) {
    return tls.client_cert_requested && tls.failure.value_or(Reason::tls_error) == Reason::tls_alert;
}

Classification classify_tls(const TlsFacts& tls, std::int64_t now, const std::vector<std::string>& pins,
                            const EdgeOffer& offer) {
    if (tls.chain.empty()) {
        // The scanner promises a certificate with TlsFacts; without one nothing can be judged.
        return make(OriginClass::unreachable, {Reason::tls_error});
    }
    // The origin refused the client certificate the edge would present (the same one): no
    // TLS mode gets a page from it, whatever its own certificate.
    if (tls.client_cert_rejected) return make(OriginClass::unreachable, {Reason::client_cert_rejected});
    // The verdict follows the edge's offer as documented, not the GnuTLS priority that
    // approximates it (scanner/tls_context.cpp): a suite GnuTLS offered but the edge does not
    // means the edge's own handshake is unknown, so never strict.
    // That holds for a handshake classed by its certificate although the origin ended it
    // (rejected_for_client_certificate): its ServerHello chose the suite all the same.
    const bool classed_by_certificate = tls.handshake_completed || rejected_for_client_certificate(tls);
    if (const auto outside = outside_offer(offer, tls); outside && classed_by_certificate)
        return make(OriginClass::unreachable, {*outside});
    if (!classed_by_certificate) {
        // The edge could not finish this handshake either: the certificate decides nothing.
        return make(OriginClass::unreachable, {tls.failure.value_or(Reason::tls_error)});
    }
    std::vector<Reason> reasons = authentication_failures(tls, now);
    OriginClass cls =
        reasons.empty() && tls.trust.trusted ? OriginClass::ca_trusted : OriginClass::self_signed;

    // Asked and answered with the configured certificate (--client-cert), which it accepted:
    // nothing left to say. Asked without one: the edge needs its own to get through.
    if (tls.client_cert_requested && !tls.client_cert_presented) reasons.push_back(Reason::client_cert_required);
    if (tls.legacy_protocol) reasons.push_back(Reason::legacy_protocol);

    if (!pins.empty()) {
        // A pin authenticates on its own: the other reasons stay, for information.
        if (any_pin_matches(tls.chain, pins))
            cls = OriginClass::pin_matching;
        else
            reasons.push_back(Reason::pin_mismatch);
    }
    return make(cls, std::move(reasons));
}

struct ProbeClassifier {
    std::int64_t now;
    const std::vector<std::string>& pins;
    const EdgeOffer& offer;

    Classification operator()(const Failure& failure) const {
        return make(OriginClass::unreachable, {failure.reason});
    }
    Classification operator()(const HttpFacts& http) const {
        // HTTP on the TLS port itself, or on the HTTP port because the TLS port refused.
        return make(OriginClass::plaintext,
                    {http.on_tls_port ? Reason::http_on_tls_port : Reason::refused});
    }
    Classification operator()(const TlsFacts& tls) const { return classify_tls(tls, now, pins, offer); }
};

}  // namespace

std::vector<const CertFacts*> validity_path(const TlsFacts& tls) {
    std::vector<const CertFacts*> path;
    if (tls.trust.path.empty()) {
        for (const auto& cert : tls.chain) path.push_back(&cert);
    } else {
        for (std::size_t i : tls.trust.path)
            if (i < tls.chain.size()) path.push_back(&tls.chain[i]);
    }
    if (tls.trust.anchor) path.push_back(&*tls.trust.anchor);
    return path;
}

const CertFacts* earliest_expiry(const TlsFacts& tls) {
    const CertFacts* first = nullptr;
    for (const CertFacts* cert : validity_path(tls))
        if (first == nullptr || cert->not_after < first->not_after) first = cert;
    return first;
}

const char* path_role(const TlsFacts& tls, const CertFacts* cert) {
    if (!tls.chain.empty() && cert == &tls.chain.front()) return "leaf";
    if (tls.trust.anchor && cert == &*tls.trust.anchor) return "anchor";
    return "intermediate";
}

Classification classify_outcome(const std::variant<Failure, HttpFacts, TlsFacts>& outcome, std::int64_t now,
                                const std::vector<std::string>& pins, const EdgeOffer& offer) {
    return std::visit(ProbeClassifier{now, pins, offer}, outcome);
}

Classification classify_probe(const Probe& probe, std::int64_t now,
                              const std::vector<std::string>& pins) {
    return classify_outcome(probe.outcome, now, pins, cloudflare_offer());
}

bool not_probed_here(const Probe& probe) {
    const auto* failure = std::get_if<Failure>(&probe.outcome);
    return failure != nullptr && failure->local;
}

namespace {
// Probes that say nothing about the origin: not made from this host, or never made because the
// address is the edge's.
bool stands_aside(const Probe& probe) { return not_probed_here(probe) || is_edge_probe(probe); }
}  // namespace

bool decides(const Observation& observation, const Probe& probe) {
    return !stands_aside(probe) || std::all_of(observation.probes.begin(), observation.probes.end(), stands_aside);
}

const Probe* deciding_probe(const Observation& observation, std::int64_t now,
                            const std::vector<std::string>& pins) {
    const Probe* weakest = nullptr;
    EdgeMode weakest_mode = EdgeMode::strict;
    for (const auto& probe : observation.probes) {
        if (!decides(observation, probe)) continue;
        const EdgeMode mode = classify_probe(probe, now, pins).mode;
        if (weakest == nullptr || mode < weakest_mode) {  // ties: the first stays
            weakest = &probe;
            weakest_mode = mode;
        }
    }
    return weakest;
}

Classification classify(const Observation& observation, std::int64_t now,
                        const std::vector<std::string>& pins) {
    const Probe* probe = deciding_probe(observation, now, pins);
    if (probe == nullptr) return make(OriginClass::unreachable, {Reason::not_scanned});
    Classification classification = classify_probe(*probe, now, pins);
    // An edge address among real ones: the real ones decide the mode, and the origin still
    // says edge-address (the verdict makes it a violation: rules/verdict.cpp).
    if (std::any_of(observation.probes.begin(), observation.probes.end(), is_edge_probe)) {
        classification.reasons.push_back(Reason::edge_address);
        normalise(classification.reasons);
    }
    return classification;
}

}  // namespace originscan::rules
