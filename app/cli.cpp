#include "app/cli.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <tuple>

#include <boost/program_options.hpp>

#include "model/report.hpp"
#include "model/time.hpp"
#include "reports/atomic_file.hpp"
#include "reports/json_report.hpp"
#include "reports/junit.hpp"
#include "reports/summary.hpp"
#include "rules/policy.hpp"
#include "scanner/scanner.hpp"

namespace originscan::app {
namespace {

namespace po = boost::program_options;
using rules::exit_internal;
using rules::exit_usage;

// A problem with what the user gave: exit 2 with the message.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

constexpr std::size_t max_list_bytes = 256u << 20;

std::string read_input(const std::string& path) {
    if (path == "-") {
        std::ostringstream text;
        text << std::cin.rdbuf();
        return text.str();
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw UsageError(path + ": " + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) throw UsageError(path + ": is a directory");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UsageError(path + ": " + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw UsageError(path + ": read error");
    if (text.tellp() > static_cast<std::streamoff>(max_list_bytes)) throw UsageError(path + ": larger than 256 MiB");
    return text.str();
}

std::atomic<bool> stop_requested{false};
std::atomic<int> stop_signal{0};

void on_signal(int signo) {
    stop_signal.store(signo);
    stop_requested.store(true);
}

void install_signal_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);
}

std::int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void print_help(const po::options_description& options) {
    std::cout << "Usage: originscan scan [OPTIONS] [LIST...]\n"
                 "       originscan --version | --help\n\n"
                 "Connects to each origin the way a CDN edge does (its address, the proxied name as SNI),\n"
                 "classifies it as pin-matching, ca-trusted, self-signed, plaintext or unreachable, and\n"
                 "says which edge SSL mode it allows. LIST is a file of origins, one per line ('-' for\n"
                 "stdin): NAME[:PORT][@ADDRESS[:PORT]] or https://NAME[:PORT]/...\n\n"
              << options
              << "\nExit status: 0 all good, 1 policy failure, 2 bad usage or input, 3 internal or I/O error,\n"
                 "130 interrupted by SIGINT (143 by SIGTERM): the reports are still written, marked incomplete.\n";
}

struct Cli {
    ScanSettings settings;
    std::vector<std::string> origin_specs;
    std::string json_path, junit_path;
};

po::options_description scan_options(Cli& cli, std::string& now_text, std::string& fail_on_text) {
    po::options_description d("Options");
    auto& s = cli.settings;
    d.add_options()
        ("origin", po::value(&cli.origin_specs)->composing(), "add one origin (repeatable)")
        ("ca-file", po::value(&s.ca_files)->composing(), "add trust anchors from a PEM bundle (repeatable)")
        ("no-system-trust", po::bool_switch()->notifier([&s](bool v) { s.system_trust = !v; }),
         "trust only the --ca-file bundles")
        ("rules", po::value(&s.rules_file), "policy: minimum modes and pins (JSON, comments allowed)")
        ("baseline", po::value(&s.baseline_file), "an earlier JSON report; a lower mode now is a downgrade")
        ("json", po::value(&cli.json_path), "write the JSON report ('-' for stdout)")
        ("junit", po::value(&cli.junit_path), "write the JUnit XML report")
        ("concurrency", po::value(&s.concurrency)->default_value(256), "origins in flight")
        ("timeout", po::value(&s.timeout_s)->default_value(10.0, "10"),
         "per-origin deadline in seconds for resolve, connect and handshake")
        ("http-port", po::value(&s.http_port)->default_value(80),
         "probed for plaintext when the TLS port refuses (0: off)")
        ("now", po::value(&now_text), "judge certificate validity at this RFC 3339 time")
        ("fail-on", po::value(&fail_on_text), "also fail on: unreachable, expiring (comma list)")
        ("expiry-days", po::value(&s.expiry_days)->default_value(14),
         "with --fail-on expiring: fail when a certificate expires within N days")
        ("help,h", "show this help");
    return d;
}

Cli parse_cli(const std::vector<std::string>& args, bool& help) {
    Cli cli;
    std::string now_text, fail_on_text;
    auto options = scan_options(cli, now_text, fail_on_text);
    po::options_description all;
    all.add(options).add_options()("list", po::value(&cli.settings.lists)->composing());
    po::positional_options_description positional;
    positional.add("list", -1);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
        if (vm.count("help")) {
            help = true;
            print_help(options);
            return cli;
        }
        po::notify(vm);
    } catch (const po::error& e) {
        throw UsageError(e.what());
    }
    auto& s = cli.settings;
    if (s.concurrency < 1 || s.concurrency > 100000) throw UsageError("--concurrency must be 1 to 100000");
    if (!(s.timeout_s > 0 && s.timeout_s <= 3600)) throw UsageError("--timeout must be more than 0 and at most 3600 seconds");
    if (s.expiry_days < 0 || s.expiry_days > 36500) throw UsageError("--expiry-days must be 0 to 36500");
    if (vm.count("now")) {
        s.now = parse_rfc3339(now_text);
        if (!s.now) throw UsageError("--now \"" + now_text + "\": not an RFC 3339 time (e.g. 2026-01-31T12:00:00Z)");
    }
    if (!fail_on_text.empty()) {
        std::stringstream list(fail_on_text);
        for (std::string item; std::getline(list, item, ',');) {
            auto v = violation_from_string(item);
            if (!v || (*v != Violation::unreachable && *v != Violation::expiring))
                throw UsageError("--fail-on \"" + item + "\": expected unreachable or expiring");
            s.fail_on.push_back(*v);
        }
    }
    return cli;
}

// Origins from --origin and the lists, in that order. Errors for every bad line.
std::vector<Origin> load_origins(const Cli& cli) {
    std::vector<Origin> origins;
    std::vector<std::string> errors;
    for (const auto& spec : cli.origin_specs) {
        auto parsed = parse_origin_spec(spec);
        if (auto* o = std::get_if<Origin>(&parsed)) {
            o->where = "--origin";
            origins.push_back(std::move(*o));
        } else {
            errors.push_back("--origin \"" + spec + "\": " + std::get<std::string>(parsed));
        }
    }
    for (const auto& path : cli.settings.lists) {
        const std::string text = read_input(path);
        auto list = parse_origin_list(text, path == "-" ? "<stdin>" : path);
        origins.insert(origins.end(), std::make_move_iterator(list.origins.begin()),
                       std::make_move_iterator(list.origins.end()));
        errors.insert(errors.end(), list.errors.begin(), list.errors.end());
    }
    if (!errors.empty()) {
        std::string message;
        const std::size_t shown = std::min<std::size_t>(errors.size(), 20);
        for (std::size_t i = 0; i < shown; ++i) message += (i ? "\n" : "") + errors[i];
        if (errors.size() > shown) message += "\n... and " + std::to_string(errors.size() - shown) + " more bad lines";
        throw UsageError(message);
    }
    if (origins.empty()) throw UsageError("no origins given (a LIST file, '-' or --origin SPEC)");
    return origins;
}

// Duplicated origins (same name, port and address) are scanned once and reported as listed.
struct Work {
    std::vector<Origin> unique;
    std::vector<std::size_t> slot_of;  // input index -> index in unique
};

Work deduplicate(const std::vector<Origin>& origins) {
    Work work;
    std::map<std::tuple<std::string, std::uint16_t, std::string>, std::size_t> seen;
    for (const auto& o : origins) {
        auto [it, inserted] = seen.try_emplace(std::tuple(o.name, o.port, o.address), work.unique.size());
        if (inserted) work.unique.push_back(o);
        work.slot_of.push_back(it->second);
    }
    return work;
}

int scan_command(const std::vector<std::string>& args) {
    bool help = false;
    Cli cli = parse_cli(args, help);
    if (help) return 0;
    auto& settings = cli.settings;

    std::vector<Origin> origins = load_origins(cli);
    rules::Policy policy;
    if (!settings.rules_file.empty()) policy = rules::parse_policy(read_input(settings.rules_file), settings.rules_file);
    std::optional<Report> baseline;
    if (!settings.baseline_file.empty())
        baseline = reports::parse_report(read_input(settings.baseline_file), settings.baseline_file);
    for (const auto* path : {&cli.json_path, &cli.junit_path})
        if (!path->empty() && *path != "-") reports::check_writable(*path);

    scanner::ScannerOptions options;
    options.ca_files = settings.ca_files;
    options.system_trust = settings.system_trust;
    options.concurrency = settings.concurrency;
    options.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(settings.timeout_s * 1000));
    options.http_port = settings.http_port;
    scanner::Scanner engine(options);  // TrustError: bad --ca-file

    Report report;
    report.tool_version = ORIGINSCAN_VERSION;
    report.settings = settings;
    report.started_ms = now_ms();
    Work work = deduplicate(origins);
    std::vector<std::optional<Observation>> observed(work.unique.size());

    install_signal_handlers();
    engine.scan(work.unique, [&](std::size_t i, Observation&& o) { observed[i] = std::move(o); }, &stop_requested);
    report.finished_ms = now_ms();
    report.judged_at = settings.now ? *settings.now : report.started_ms / 1000;

    report.origins.reserve(origins.size());
    for (std::size_t i = 0; i < origins.size(); ++i) {
        OriginResult& r = report.origins.emplace_back();
        r.index = i;
        r.origin = std::move(origins[i]);
        if (const auto& o = observed[work.slot_of[i]]) {
            r.scanned = true;
            r.observation = *o;
        }
    }
    report.complete = !stop_requested.load();
    rules::judge_report(report, policy, baseline ? &*baseline : nullptr);

    if (!cli.json_path.empty()) reports::write_file_atomically(cli.json_path, reports::render_json(report));
    if (!cli.junit_path.empty()) reports::write_file_atomically(cli.junit_path, reports::render_junit(report));
    const std::string summary = reports::render_summary(report, isatty(STDOUT_FILENO) != 0);
    (cli.json_path == "-" ? std::cerr : std::cout) << summary << std::flush;

    if (!report.complete) return 128 + stop_signal.load();
    return rules::exit_status(report);
}

}  // namespace

int run(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    try {
        if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
            Cli cli;
            std::string a, b;
            print_help(scan_options(cli, a, b));
            return args.empty() ? exit_usage : 0;
        }
        if (args[0] == "--version") {
            std::cout << "originscan " ORIGINSCAN_VERSION "\n";
            return 0;
        }
        if (args[0] != "scan") throw UsageError("unknown command \"" + args[0] + "\" (expected scan, --help, --version)");
        return scan_command({args.begin() + 1, args.end()});
    } catch (const UsageError& e) {
        std::cerr << "originscan: " << e.what() << "\n";
        return exit_usage;
    } catch (const rules::PolicyError& e) {
        std::cerr << "originscan: " << e.what() << "\n";
        return exit_usage;
    } catch (const reports::ReportError& e) {
        std::cerr << "originscan: --baseline " << e.what() << "\n";
        return exit_usage;
    } catch (const scanner::TrustError& e) {
        std::cerr << "originscan: " << e.what() << "\n";
        return exit_usage;
    } catch (const reports::OutputError& e) {
        std::cerr << "originscan: " << e.what() << "\n";
        return exit_internal;
    } catch (const std::exception& e) {
        std::cerr << "originscan: internal error: " << e.what() << "\n";
        return exit_internal;
    }
}

}  // namespace originscan::app
