// Edge profiles: which mode each edge allows, as predicates over classes and facts.
// Cloudflare's is the default (PRODUCT.md); others are more predicates over the same facts.
#pragma once

#include "model/enums.hpp"

namespace originscan::rules {

// Cloudflare: plaintext -> flexible, self-signed -> full, ca-trusted/pin-matching -> strict,
// unreachable -> none.
EdgeMode cloudflare_mode(OriginClass cls);

}  // namespace originscan::rules
