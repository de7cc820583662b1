// libFuzzer target: the origin list parser (model/origin.hpp), which reads whatever file the
// user gives as LIST. Beyond "no crash, no sanitizer report", every origin it accepts must
// parse again from its own `input` to the same origin, and every line is accounted for. Its
// identity (what duplicates and the baseline compare) is a fixed point: normalising it again
// changes nothing, equal identities hash equally, and its text reads back as itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "model/origin.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const originscan::OriginList list = originscan::parse_origin_list(text, "fuzz.txt");

    std::size_t lines = 1;
    for (char c : text) lines += c == '\n';
    if (list.origins.size() + list.errors.size() > lines) std::abort();

    for (const originscan::Origin& origin : list.origins) {
        if (origin.input.empty() || origin.name.empty() || origin.port == 0) std::abort();
        if (origin.where.rfind("fuzz.txt:", 0) != 0) std::abort();
        auto again = originscan::parse_origin_spec(origin.input);
        const auto* reparsed = std::get_if<originscan::Origin>(&again);
        if (reparsed == nullptr) std::abort();
        originscan::Origin expected = origin;
        expected.where.clear();
        if (!(*reparsed == expected)) std::abort();

        const originscan::OriginIdentity id = originscan::identity_of(origin);
        originscan::Origin bare;
        bare.name = id.name;
        bare.port = id.port;
        bare.addresses = id.addresses;
        const originscan::OriginIdentity again_id = originscan::identity_of(bare);
        if (!(again_id == id) || !(originscan::identity_of(*reparsed) == id)) std::abort();
        if (originscan::OriginIdentityHash{}(again_id) != originscan::OriginIdentityHash{}(id)) std::abort();
        // Its text (the report's id) reads back as the same identity.
        const auto from_text = originscan::parse_identity_text(originscan::identity_text(id));
        if (!from_text || !(*from_text == id)) std::abort();
    }
    for (const std::string& error : list.errors)
        if (error.rfind("fuzz.txt:", 0) != 0) std::abort();
    return 0;
}
