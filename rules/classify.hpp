// Pure judgement: from what the scanner observed to a class, reasons and the edge mode.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/observation.hpp"
#include "model/origin.hpp"
#include "model/result.hpp"

namespace originscan::rules {

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
