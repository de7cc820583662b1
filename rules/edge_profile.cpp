#include "rules/edge_profile.hpp"

namespace originscan::rules {

EdgeMode cloudflare_mode(OriginClass cls) {
    switch (cls) {
        case OriginClass::pin_matching:
        case OriginClass::ca_trusted: return EdgeMode::strict;
        case OriginClass::self_signed: return EdgeMode::full;
        case OriginClass::plaintext: return EdgeMode::flexible;
        case OriginClass::unreachable: return EdgeMode::none;
    }
    return EdgeMode::none;
}

}  // namespace originscan::rules
