// Pure judgement: from what the scanner observed to a class, reasons and the edge mode.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/observation.hpp"
#include "model/origin.hpp"
#include "model/result.hpp"

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

// Classifies an origin: every probe is classified, the weakest (lowest edge mode) decides.
Classification classify(const Observation& observation, std::int64_t now,
                        const std::vector<std::string>& pins = {});

// The probe that decided classify() (the weakest); nullptr when there is none.
const Probe* deciding_probe(const Observation& observation, std::int64_t now,
                            const std::vector<std::string>& pins = {});

}  // namespace originscan::rules
