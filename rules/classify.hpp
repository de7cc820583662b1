// Pure judgement: from what the scanner observed to a class, reasons and the edge mode.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/observation.hpp"
#include "model/origin.hpp"
#include "model/result.hpp"
#include "rules/edge_profile.hpp"

namespace originscan::rules {

// The certificates whose dates count (PRODUCT.md: validity is judged over the path that
// verified, anchor included): the presented certificates on trust.path, leaf first, then the
// anchor. For facts without a path (older reports): every presented certificate.
std::vector<const CertFacts*> validity_path(const TlsFacts& tls);

// The certificate of validity_path() that expires first (the leaf on ties); nullptr when the
// chain is empty.
const CertFacts* earliest_expiry(const TlsFacts& tls);

// What `cert` (one of validity_path(tls)) is on the path: "leaf", "intermediate" or "anchor".
const char* path_role(const TlsFacts& tls, const CertFacts* cert);

// Classifies one probe. `now` is the Unix time validity is judged at (scan time or --now).
// `pins` are the origin's configured pins ("sha256/BASE64"); empty when none are configured.
Classification classify_probe(const Probe& probe, std::int64_t now,
                              const std::vector<std::string>& pins = {});

// The same for an outcome, judged against `offer` (another edge's handshake: rules/edges.hpp).
Classification classify_outcome(const std::variant<Failure, HttpFacts, TlsFacts>& outcome, std::int64_t now,
                                const std::vector<std::string>& pins, const EdgeOffer& offer);

// Why the presented chain does not authenticate the origin at `now` (unsorted, may repeat);
// empty when it does as far as the facts go (trust.trusted is still needed). `tls.chain` must
// not be empty.
std::vector<Reason> authentication_failures(const TlsFacts& tls, std::int64_t now);

// Classifies an origin: every probe that decides() is classified, the weakest (lowest edge
// mode) decides; reason edge-address is added when any address was the edge's.
Classification classify(const Observation& observation, std::int64_t now,
                        const std::vector<std::string>& pins = {});

// A probe this host could not make (Failure::local: no route for the address's family).
bool not_probed_here(const Probe& probe);

// Whether the probe takes part in the weakest-decides rule: every probe does, except one not
// probed here, or an edge address never connected to (rules/edge_ranges.hpp), while another
// address was probed. An origin whose every address is the edge's is unreachable: edge-address.
bool decides(const Observation& observation, const Probe& probe);

// The probe that decided classify() (the weakest); nullptr when there is none.
const Probe* deciding_probe(const Observation& observation, std::int64_t now,
                            const std::vector<std::string>& pins = {});

}  // namespace originscan::rules
