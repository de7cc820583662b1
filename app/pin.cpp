// The scan path (scanner/) does the handshake and computes every fact shown here, from the
// bytes the origin sent: the fingerprint over the certificate's DER, the pin over its
// SubjectPublicKeyInfo (scanner/tls_context.cpp cert_facts). This only prints them.
#include "app/pin.hpp"

#include <algorithm>
#include <iostream>
#include <variant>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "app/command_line.hpp"
#include "app/scanner_setup.hpp"
#include "app/usage_error.hpp"
#include "model/report.hpp"
#include "model/text.hpp"
#include "model/time.hpp"
#include "rules/edge_ranges.hpp"
#include "rules/policy.hpp"

namespace originscan::app {
namespace {

namespace po = boost::program_options;
using ordered = nlohmann::ordered_json;

struct PinCli {
    ScanSettings settings;
    std::vector<std::string> specs;
    std::string edge_ranges_file;
    bool json = false;
};

po::options_description pin_options(PinCli& cli) {
    po::options_description d("Options");
    auto& s = cli.settings;
    d.add_options()
        ("ca-file", po::value(&s.ca_files)->composing(), "add trust anchors from a PEM bundle (repeatable)")
        ("no-system-trust", po::bool_switch()->notifier([&s](bool v) { s.system_trust = !v; }),
         "trust only the --ca-file bundles")
        ("timeout", po::value(&s.timeout_s)->default_value(10.0, "10"),
         "per-origin deadline in seconds: 0.001 to 3600")
        ("edge-ranges", po::value(&cli.edge_ranges_file),
         "the edge's own addresses, never connected to (default: Cloudflare's published ranges)")
        ("resolver", po::value(&s.resolver)->value_name("ADDR[:PORT]"),
         "the DNS server to ask instead of /etc/resolv.conf's")
        ("json", po::bool_switch(&cli.json), "print JSON on stdout instead of text")
        ("help,h", "show this help");
    return d;
}

void print_pin_help(const po::options_description& options) {
    std::cout << "Usage: originscan pin [OPTIONS] ORIGIN...\n\n"
                 "Connects to each origin as scan does (ORIGIN: NAME[:PORT][@ADDRESS[:PORT]] or https://NAME/...)\n"
                 "and prints every certificate it presents: subject, issuer, validity, SHA-256 fingerprint\n"
                 "and SPKI pin (sha256/BASE64), then a rules snippet pinning the leaf and its issuer.\n\n"
              << options
              << "\nExit status: 0 every origin presented certificates, 1 one did not (or resolves to the\n"
                 "edge), 2 bad usage or input, 3 internal error.\n";
}

// Where each presented certificate stands: on the verified path (leaf, intermediate, root) or
// presented but unused.
std::string role(const TlsFacts& tls, std::size_t index) {
    const auto& path = tls.trust.path;
    const auto at = std::find(path.begin(), path.end(), index);
    if (index == 0) return "leaf";
    if (at == path.end() && !path.empty()) return "not on the path";
    return tls.chain[index].self_signed ? "root" : "intermediate";
}

// The leaf's pin and its issuer's, when the origin presented the issuer. Pins match presented
// certificates only (rules/classify.cpp), so an issuer that was not sent is not pinned.
std::vector<std::string> pins_of(const TlsFacts& tls) {
    std::vector<std::string> pins;
    if (tls.chain.empty()) return pins;
    pins.push_back("sha256/" + tls.chain.front().spki_sha256);
    std::size_t issuer = tls.chain.size();
    if (tls.trust.path.size() > 1) issuer = tls.trust.path[1];
    else if (tls.trust.path.empty() && tls.chain.size() > 1) issuer = 1;
    if (issuer < tls.chain.size() && !tls.chain[issuer].spki_sha256.empty())
        pins.push_back("sha256/" + tls.chain[issuer].spki_sha256);
    return pins;
}

struct OriginPins {
    std::vector<std::string> pins;  // over every address, first seen first
    std::string edge_message;       // rules::edge_address_message; empty when no edge address
    bool usable = false;            // some address presented a certificate, none was the edge's
};

OriginPins collect(const OriginResult& result) {
    OriginPins out;
    bool certificates = false;
    for (const Probe& probe : result.observation.probes) {
        const auto* tls = std::get_if<TlsFacts>(&probe.outcome);
        if (tls == nullptr || tls->chain.empty()) continue;
        certificates = true;
        for (std::string& pin : pins_of(*tls))
            if (rules::is_valid_pin(pin) && std::find(out.pins.begin(), out.pins.end(), pin) == out.pins.end())
                out.pins.push_back(std::move(pin));
    }
    out.edge_message = rules::edge_address_message(result);
    out.usable = certificates && out.edge_message.empty();
    return out;
}

ordered snippet(const std::string& name, const std::vector<std::string>& pins) {
    return ordered{{"match", name}, {"pins", pins}};
}

std::string why_no_certificate(const Probe& probe) {
    if (const auto* failure = std::get_if<Failure>(&probe.outcome))
        return std::string(to_string(failure->reason)) + (failure->detail.empty() ? "" : ": " + failure->detail);
    if (const auto* http = std::get_if<HttpFacts>(&probe.outcome))
        return "plain HTTP" + std::string(http->on_tls_port ? " on the TLS port" : "") + ": " + http->status_line;
    return "no certificate";
}

void print_text(const OriginResult& result, const OriginPins& pins, std::ostream& out) {
    out << inert(result.origin.input) << "\n";
    for (const Probe& probe : result.observation.probes) {
        out << "  address " << (probe.address.empty() ? "-" : probe.address) << "\n";
        const auto* tls = std::get_if<TlsFacts>(&probe.outcome);
        if (tls == nullptr || tls->chain.empty()) {
            out << "    no certificate: " << inert(why_no_certificate(probe)) << "\n";
            continue;
        }
        for (std::size_t i = 0; i < tls->chain.size(); ++i) {
            const CertFacts& cert = tls->chain[i];
            out << "    certificate " << i + 1 << " (" << role(*tls, i) << ")\n"
                << "      subject   " << inert(cert.subject) << "\n"
                << "      issuer    " << inert(cert.issuer) << "\n"
                << "      valid     " << format_rfc3339(cert.not_before) << " to " << format_rfc3339(cert.not_after)
                << "\n"
                << "      sha256    " << cert.sha256_fingerprint << "\n"
                << "      pin       sha256/" << cert.spki_sha256 << "\n";
        }
        if (tls->chain_truncated)
            out << "    (" << tls->chain_presented << " certificates presented, the first " << tls->chain.size()
                << " shown)\n";
    }
    if (!pins.edge_message.empty()) out << "  " << inert(pins.edge_message) << "\n";
    if (!pins.pins.empty())
        out << "  rules snippet (the leaf and its issuer; keep a backup pin of a spare key too):\n    "
            << snippet(result.origin.name, pins.pins).dump() << "\n";
    out << "\n";
}

ordered cert_json(const CertFacts& cert, const std::string& role_name) {
    return ordered{{"role", role_name},
                   {"subject", cert.subject},
                   {"issuer", cert.issuer},
                   {"not_before", format_rfc3339(cert.not_before)},
                   {"not_after", format_rfc3339(cert.not_after)},
                   {"sha256_fingerprint", cert.sha256_fingerprint},
                   {"spki_pin", "sha256/" + cert.spki_sha256}};
}

ordered origin_json(const OriginResult& result, const OriginPins& pins) {
    ordered probes = ordered::array();
    for (const Probe& probe : result.observation.probes) {
        ordered p{{"address", probe.address.empty() ? ordered(nullptr) : ordered(probe.address)}};
        const auto* tls = std::get_if<TlsFacts>(&probe.outcome);
        ordered certificates = ordered::array();
        if (tls != nullptr)
            for (std::size_t i = 0; i < tls->chain.size(); ++i) certificates.push_back(cert_json(tls->chain[i], role(*tls, i)));
        p["certificates"] = std::move(certificates);
        p["error"] = tls != nullptr && !tls->chain.empty() ? ordered(nullptr) : ordered(why_no_certificate(probe));
        probes.push_back(std::move(p));
    }
    return ordered{{"input", result.origin.input},
                   {"name", result.origin.name},
                   {"port", result.origin.port},
                   {"probes", std::move(probes)},
                   {"edge_address", pins.edge_message.empty() ? ordered(nullptr) : ordered(pins.edge_message)},
                   {"rule", pins.pins.empty() ? ordered(nullptr) : snippet(result.origin.name, pins.pins)}};
}

}  // namespace

int pin_command(const std::vector<std::string>& args) {
    PinCli cli;
    auto options = pin_options(cli);
    po::variables_map vm;
    if (!parse_command_line(args, options, "origin", cli.specs, vm, "pin: ")) {
        print_pin_help(options);
        return 0;
    }
    if (!(cli.settings.timeout_s >= 0.001 && cli.settings.timeout_s <= 3600))
        throw UsageError("--timeout must be 0.001 to 3600 seconds (1 ms at least)");
    if (cli.specs.empty()) throw UsageError("pin: no origin given (originscan pin NAME[@ADDRESS]...)");

    std::vector<Origin> origins;
    std::string errors;
    for (const std::string& spec : cli.specs) {
        auto parsed = parse_origin_spec(spec);
        if (auto* why = std::get_if<std::string>(&parsed)) {
            errors += (errors.empty() ? "" : "\n") + inert_quoted(spec) + ": " + *why;
            continue;
        }
        Origin origin = std::get<Origin>(std::move(parsed));
        origin.where = "pin";
        origins.push_back(std::move(origin));
    }
    if (!errors.empty()) throw UsageError(errors);

    cli.settings.http_port = 0;  // a pin needs a certificate: no plaintext probe
    scanner::ScannerOptions scanner_settings = scanner_options(cli.settings, cli.edge_ranges_file);
    scanner::Scanner engine(scanner_settings);  // TrustError: bad --ca-file
    std::vector<OriginResult> results(origins.size());
    for (std::size_t i = 0; i < origins.size(); ++i) results[i] = OriginResult{i, origins[i], false, {}, {}, {}, {}};
    engine.scan(origins, [&](std::size_t i, Observation&& observation) {
        results[i].observation = std::move(observation);
        results[i].scanned = true;
    });

    bool all_usable = true;
    ordered json = ordered::array();
    for (const OriginResult& result : results) {
        const OriginPins pins = collect(result);
        all_usable = all_usable && pins.usable;
        if (cli.json) json.push_back(origin_json(result, pins));
        else print_text(result, pins, std::cout);
    }
    // ASCII only, invalid UTF-8 replaced: certificate names are the origin's text, and a
    // terminal or a line-based reader must not act on them.
    if (cli.json)
        std::cout << ordered{{"origins", std::move(json)}}.dump(2, ' ', true, ordered::error_handler_t::replace) << "\n";
    std::cout << std::flush;
    return all_usable ? rules::exit_ok : rules::exit_policy;
}

}  // namespace originscan::app
