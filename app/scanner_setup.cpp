#include "app/scanner_setup.hpp"

#include <cmath>

#include "app/input_file.hpp"
#include "app/usage_error.hpp"
#include "rules/edge_ranges.hpp"
#include "rules/edges.hpp"
#include "rules/origin_ca.hpp"
#include "scanner/resolver.hpp"

namespace originscan::app {

scanner::ScannerOptions scanner_options(const ScanSettings& settings, const std::string& edge_ranges_file) {
    scanner::ScannerOptions options;
    options.ca_files = settings.ca_files;
    options.system_trust = settings.system_trust;
    options.concurrency = settings.concurrency;
    options.threads = settings.threads;
    options.timeout = std::chrono::milliseconds(std::llround(settings.timeout_s * 1000));
    options.http_port = settings.http_port;
    options.retries = settings.retries;
    if (!settings.resolver.empty()) {
        if (std::string why = scanner::resolver_address_error(settings.resolver); !why.empty())
            throw UsageError("--resolver " + settings.resolver + ": " + why);
        options.resolver = settings.resolver;
    }
    if (edge_ranges_file.empty()) {
        options.edge_ranges = rules::cloudflare_ranges();
    } else {
        std::string text;
        try {
            text = InputFile::read_all(edge_ranges_file, std::size_t{16} << 20);
        } catch (const UsageError& e) {
            throw UsageError(std::string("--edge-ranges ") + e.what());
        }
        options.edge_ranges = rules::parse_edge_ranges(text, edge_ranges_file);
    }
    options.origin_ca_fingerprints = rules::origin_ca_fingerprints();
    // One handshake per distinct offer: the edges without an offer of their own share the
    // default one's facts.
    for (const auto& id : settings.edges) {
        const rules::EdgeProfile* profile = rules::edge_profile(id);
        if (profile != nullptr && profile->offer != nullptr && profile->id != rules::default_edge)
            options.other_offers.push_back(id);
    }
    options.offer_needed = [](const std::string& id, const Probe& probe) {
        const rules::EdgeProfile* profile = rules::edge_profile(id);
        return profile != nullptr && profile->offer != nullptr && rules::needs_own_handshake(*profile->offer, probe);
    };
    return options;
}

}  // namespace originscan::app
