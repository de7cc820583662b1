#include "app/cli.hpp"

#include "app/collector.hpp"
#include "app/command_line.hpp"
#include "app/input_file.hpp"
#include "app/merge.hpp"
#include "app/origin_lists.hpp"
#include "app/pin.hpp"
#include "app/progress.hpp"
#include "app/scanner_setup.hpp"
#include "app/shard.hpp"
#include "app/terminal.hpp"
#include "app/usage_error.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <sstream>

#include <boost/program_options.hpp>

#include "model/report.hpp"
#include "model/time.hpp"
#include "reports/atomic_file.hpp"
#include "reports/json_report.hpp"
#include "reports/junit.hpp"
#include "reports/summary.hpp"
#include "rules/edge_ranges.hpp"
#include "rules/edges.hpp"
#include "rules/policy.hpp"
#include "scanner/scanner.hpp"
#include "scanner/versions.hpp"

namespace originscan::app {
namespace {

namespace po = boost::program_options;
using rules::exit_internal;
using rules::exit_usage;

// Rules and baseline files are read whole.
std::string read_input(const std::string& path) { return InputFile::read_all(path, std::size_t{1} << 30); }

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

#ifdef ORIGINSCAN_TEST_HOOKS
// Test builds only (ORIGINSCAN_TESTS): ORIGINSCAN_TEST_THROW_AT=INDEX makes the scan throw
// before the origin with that input index, so that tests can drive a scanner thread's
// failure through the binary (tests/e2e/worker_failure.sh).
std::function<void(std::size_t, const Origin&)> test_hook_from_env() {
    const char* at = std::getenv("ORIGINSCAN_TEST_THROW_AT");
    if (!at || !*at) return {};
    const std::size_t index = std::stoul(at);
    return [index](std::size_t i, const Origin&) {
        if (i == index) throw std::runtime_error("test hook: injected failure before origin " + std::to_string(i));
    };
}
#endif

std::int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void print_help(const po::options_description& options, std::ostream& out = std::cout) {
    out << "Usage: originscan scan [OPTIONS] [LIST...]\n"
                 "       originscan pin [OPTIONS] ORIGIN...   (the pins each origin presents; pin --help)\n"
                 "       originscan merge [OPTIONS] SHARD.json...   (shard reports into one; merge --help)\n"
                 "       originscan --version | --help\n\n"
                 "Connects to each origin the way a CDN edge does (its address, the proxied name as SNI),\n"
                 "classifies it as pin-matching, ca-trusted, self-signed, plaintext or unreachable, and\n"
                 "says which edge SSL mode it allows. LIST is a file of origins, one per line ('-' for\n"
                 "stdin): NAME[:PORT][@ADDRESS[:PORT]], NAME[:PORT]@ADDR,ADDR,... (IP literals, IPv6 in\n"
                 "brackets, each probed) or https://NAME[:PORT]/...\n\n"
              << options
              << "\nExit status: 0 all good, 1 policy failure, 2 bad usage or input, 3 internal or I/O error,\n"
                 "130 interrupted by SIGINT (143 by SIGTERM): the reports are still written, marked incomplete.\n";
}

// The first line is what help2man and scripts read; the library lines are for bug reports.
void print_version() {
    const scanner::LibraryVersions v = scanner::library_versions();
    std::cout << "originscan " ORIGINSCAN_VERSION "\n"
              << "GnuTLS " << v.gnutls_runtime << " (built against " << v.gnutls_compiled << ")\n"
              << "Boost " << v.boost << "\n";
}

struct Cli {
    ScanSettings settings;
    std::vector<std::string> origin_specs;
    ZoneInputs zones;  // --cloudflare-dns, --all-records
    std::string edge_ranges_file;  // --edge-ranges; empty: rules::cloudflare_ranges()
    OutputPaths outputs;
    bool progress = false;
    std::string client_cert, client_key;  // presented when an origin asks (AOP)
    bool quiet = false;
    bool no_color = false;
    std::string shard, shards;  // --shard I/N, --shards N (app/shard.hpp)
};

// Options whose text is checked after parsing (a uint16_t would take "-1" as 65535).
struct RawOptions {
    std::string now, fail_on, edges;
    long long http_port = 80;
};

po::options_description scan_options(Cli& cli, RawOptions& raw) {
    std::string& now_text = raw.now;
    std::string& fail_on_text = raw.fail_on;
    long long& http_port = raw.http_port;
    po::options_description d("Options");
    auto& s = cli.settings;
    d.add_options()
        ("origin", po::value(&cli.origin_specs)->composing()->value_name("SPEC"), "add one origin (repeatable)")
        ("cloudflare-dns", po::value(&cli.zones.paths)->composing()->value_name("FILE"),
         "add the origins of a Cloudflare zone export ('-' for stdin; repeatable): the BIND export "
         "or the API's record list (JSON: one page, JSON Lines of pages, or an array of pages). A proxied "
         "name's A/AAAA records are one origin NAME@ADDR,ADDR (each address probed), a CNAME is "
         "NAME@TARGET, port 443; wildcards and other types are skipped and counted")
        ("all-records", po::bool_switch(&cli.zones.all_records),
         "with --cloudflare-dns: DNS-only records too, not only the proxied ones")
        ("ca-file", po::value(&s.ca_files)->composing()->value_name("PEM"), "add trust anchors from a PEM bundle (repeatable)")
        ("client-cert", po::value(&cli.client_cert)->value_name("PEM"),
         "a PEM certificate (chain) to present when an origin asks for one, as the edge's Authenticated Origin Pulls")
        ("client-key", po::value(&cli.client_key)->value_name("PEM"), "the PEM private key of --client-cert")
        ("no-system-trust", po::bool_switch()->notifier([&s](bool v) { s.system_trust = !v; }),
         "trust only the --ca-file bundles")
        ("rules", po::value(&s.rules_file)->value_name("FILE"), "policy: minimum modes and pins (JSON, comments allowed)")
        ("edge-ranges", po::value(&cli.edge_ranges_file)->value_name("FILE"),
         "the edge's own addresses, never connected to: one CIDR a line, '#' comments (default: "
         "Cloudflare's published ranges)")
        ("baseline", po::value(&s.baseline_file)->value_name("FILE"), "an earlier JSON report; a lower mode now is a downgrade")
        ("json", po::value(&cli.outputs.json)->value_name("FILE"), "write the JSON report ('-' for stdout)")
        ("junit", po::value(&cli.outputs.junit)->value_name("FILE"), "write the JUnit XML report")
        ("ndjson", po::value(&cli.outputs.ndjson)->value_name("FILE"),
         "stream one JSON object per origin as it completes ('-' for stdout)")
        ("prometheus", po::value(&cli.outputs.prometheus)->value_name("FILE"),
         "write metrics in the Prometheus text format (node_exporter textfile collector: a .prom file)")
        ("sarif", po::value(&cli.outputs.sarif)->value_name("FILE"), "write SARIF 2.1.0 (GitHub code scanning): a result per violation at its list line")
        ("progress", po::bool_switch(&cli.progress),
         "show progress on stderr even when it is not a terminal (there: a line every 10 s and a last one)")
        ("quiet", po::bool_switch(&cli.quiet), "summary: only the violations and one counts line; no progress")
        ("no-color", po::bool_switch(&cli.no_color), "no colour (also off with NO_COLOR set, TERM=dumb, or not a terminal)")
        ("concurrency", po::value(&s.concurrency)->default_value(256)->value_name("N"), "connections in flight (an origin takes one per address)")
        ("threads", po::value(&s.threads)->value_name("N"),
         "event-loop threads (default: the CPUs this process may use, its affinity and cgroup CPU "
         "quota counted, e.g. a pod's limit)")
        ("timeout", po::value(&s.timeout_s)->default_value(10.0, "10")->value_name("SECONDS"),
         "per-origin deadline in seconds for resolve, connect and handshake: 0.001 to 3600, "
         "rounded to whole milliseconds (less than 1 ms is an error)")
        ("retries", po::value(&s.retries)->default_value(1)->value_name("N"),
         "N more attempts at an address that timed out, reset, refused or had no route before any TLS "
         "answer (0 to 10; a TLS answer is never retried): each a fresh connection on the same slot, "
         "after a 0.1-0.25 s pause, with a full --timeout. A dead origin costs (N+1) x timeout of "
         "its slot, plus the pauses")
        ("resolver", po::value(&s.resolver)->value_name("ADDR[:PORT]"),
         "the DNS server to ask (IPv6 as [ADDR]:PORT; port 53 by default) instead of /etc/resolv.conf's; "
         "/etc/hosts is still read first")
        ("http-port", po::value(&http_port)->default_value(80)->value_name("N"),
         "probed for plaintext when the TLS port refuses, on its last attempt (0: off)")
        ("now", po::value(&now_text)->value_name("TIME"), "judge certificate validity at this RFC 3339 time")
        ("edge", po::value(&raw.edges)->value_name("EDGES"),
         "judge for these edges too: cloudflare (the default, always), cloudfront, fastly, akamai, azure "
         "(comma list), or all")
        ("fail-on", po::value(&fail_on_text)->value_name("WHAT"), "also fail on: unreachable, expiring (comma list)")
        ("expiry-days", po::value(&s.expiry_days)->default_value(14)->value_name("N"),
         "with --fail-on expiring: fail when a certificate expires within N days")
        ("shard", po::value(&cli.shard)->value_name("I/N"),
         "scan only shard I of N (0-based: 0/4 to 3/4): the origins whose identity hashes to I; the "
         "report says so, for `originscan merge`")
        ("shards", po::value(&cli.shards)->value_name("N"),
         "as --shard I/N with I from $JOB_COMPLETION_INDEX (a Kubernetes Indexed Job's pod index)")
        ("help,h", "show this help");
    return d;
}

Cli parse_cli(const std::vector<std::string>& args, bool& help) {
    Cli cli;
    RawOptions raw;
    auto options = scan_options(cli, raw);
    const std::string& now_text = raw.now;
    const std::string& fail_on_text = raw.fail_on;
    po::variables_map vm;
    if (!parse_command_line(args, options, "list", cli.settings.lists, vm)) {
        help = true;
        print_help(options);
        return cli;
    }
    auto& s = cli.settings;
    if (s.concurrency < 1 || s.concurrency > 100000) throw UsageError("--concurrency must be 1 to 100000");
    if (vm.count("threads") && (s.threads < 1 || s.threads > 1024)) throw UsageError("--threads must be 1 to 1024");
    if (!(s.timeout_s >= 0.001 && s.timeout_s <= 3600))
        throw UsageError("--timeout must be 0.001 to 3600 seconds (1 ms at least)");
    if (s.retries > 10) throw UsageError("--retries must be 0 to 10");
    if (s.expiry_days < 0 || s.expiry_days > 36500) throw UsageError("--expiry-days must be 0 to 36500");
    if (cli.zones.all_records && cli.zones.paths.empty()) throw UsageError("--all-records is for --cloudflare-dns");
    s.zone_files = cli.zones.paths;
    s.zone_all_records = cli.zones.all_records;
    if (raw.http_port < 0 || raw.http_port > 65535) throw UsageError("--http-port must be 0 to 65535");
    s.http_port = static_cast<std::uint16_t>(raw.http_port);
    const auto& out = cli.outputs;
    if ((out.json == "-") + (out.junit == "-") + (out.ndjson == "-") + (out.prometheus == "-") + (out.sarif == "-") > 1)
        throw UsageError("only one of --json, --junit, --ndjson, --prometheus and --sarif can go to stdout ('-')");
    if (vm.count("now")) {
        s.now = parse_rfc3339(now_text);
        if (!s.now) throw UsageError("--now \"" + now_text + "\": not an RFC 3339 time (e.g. 2026-01-31T12:00:00Z)");
    }
    if (vm.count("edge")) {
        std::string bad;
        auto edges = rules::parse_edge_list(raw.edges, bad);
        if (!edges)
            throw UsageError("--edge \"" + bad + "\": expected cloudflare, cloudfront, fastly, akamai, azure or all");
        s.edges = std::move(*edges);
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

// A file as the clash check sees it: its device and inode when it exists, its absolute
// path with symbolic links resolved (as far as they exist) and "." and ".." gone.
struct FileIdentity {
    bool exists = false;
    bool char_device = false;
    dev_t device = 0;
    ino_t inode = 0;
    std::string path;
};

FileIdentity file_identity(const std::string& path) {
    namespace fs = std::filesystem;
    FileIdentity id;
    struct stat st {};
    if (path == "-" ? ::fstat(STDIN_FILENO, &st) == 0 : ::stat(path.c_str(), &st) == 0) {
        id = {true, S_ISCHR(st.st_mode), st.st_dev, st.st_ino, {}};
    }
    if (path == "-") return id;
    std::error_code ec;
    fs::path normal = fs::weakly_canonical(fs::absolute(path, ec), ec);
    id.path = ec ? fs::absolute(path).lexically_normal().string() : normal.string();
    return id;
}

bool same_file(const FileIdentity& a, const FileIdentity& b) {
    if (a.exists && b.exists) return a.device == b.device && a.inode == b.inode;
    return !a.path.empty() && a.path == b.path;
}

// An output that is an input, or another output, would destroy it: refused (exit 2) before
// anything is read or connected. Devices (/dev/null, a terminal) are exempt: writing to one
// destroys nothing.
void check_outputs_distinct(const Cli& cli) {
    struct Named {
        std::string what;
        const std::string* path;
        FileIdentity id;
    };
    std::vector<Named> outputs, inputs;
    for (auto [what, path] : {std::pair{"--json", &cli.outputs.json}, {"--junit", &cli.outputs.junit},
                              {"--ndjson", &cli.outputs.ndjson}, {"--prometheus", &cli.outputs.prometheus},
                              {"--sarif", &cli.outputs.sarif}})
        if (!path->empty() && *path != "-") outputs.push_back({what, path, file_identity(*path)});
    const auto& s = cli.settings;
    // The same list (or zone export) twice would report each of its origins twice, under the
    // same names.
    const auto add_origin_input = [&inputs](const char* what, const std::string& path) {
        const FileIdentity id = file_identity(path);
        for (const Named& earlier : inputs)
            if (id.exists && !id.char_device && same_file(earlier.id, id))
                throw UsageError(std::string(what) + " " + path + " is given twice (as " + *earlier.path + ")");
        inputs.push_back({what, &path, id});
    };
    for (const auto& list : s.lists) add_origin_input("the list", list);
    for (const auto& zone : cli.zones.paths) add_origin_input("--cloudflare-dns", zone);
    for (const auto& ca : s.ca_files) inputs.push_back({"--ca-file", &ca, file_identity(ca)});
    for (auto [what, path] : {std::pair{"--client-cert", &cli.client_cert}, {"--client-key", &cli.client_key}})
        if (!path->empty()) inputs.push_back({what, path, file_identity(*path)});
    if (!s.rules_file.empty()) inputs.push_back({"--rules", &s.rules_file, file_identity(s.rules_file)});
    if (!s.baseline_file.empty()) inputs.push_back({"--baseline", &s.baseline_file, file_identity(s.baseline_file)});
    if (!cli.edge_ranges_file.empty())
        inputs.push_back({"--edge-ranges", &cli.edge_ranges_file, file_identity(cli.edge_ranges_file)});
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        const Named& out = outputs[i];
        if (out.id.char_device) continue;
        for (std::size_t j = 0; j < i; ++j)
            if (same_file(outputs[j].id, out.id))
                throw UsageError(outputs[j].what + " " + *outputs[j].path + " and " + out.what + " " + *out.path +
                                 " are the same file: each report needs its own");
        for (const Named& in : inputs)
            if (same_file(in.id, out.id))
                throw UsageError(out.what + " " + *out.path + " would overwrite " + in.what + " " +
                                 (*in.path == "-" ? "(stdin)" : *in.path));
    }
}

int scan_command(const std::vector<std::string>& args) {
    bool help = false;
    Cli cli = parse_cli(args, help);
    if (help) return 0;
    const auto& settings = cli.settings;
    // Before anything slow (a list on a FIFO can take its time): SIGINT from here on ends the
    // run with its reports.
    install_signal_handlers();
    check_outputs_distinct(cli);

    // Everything the user gave is checked before the first connection; each list read once.
    const OriginLists lists(cli.origin_specs, settings.lists, &stop_requested, cli.zones);
    rules::Policy policy;
    if (!settings.rules_file.empty()) policy = rules::parse_policy(read_input(settings.rules_file), settings.rules_file);
    const std::optional<ShardSpec> shard = shard_from_options(cli.shard, cli.shards);
    std::optional<Report> baseline;
    if (!settings.baseline_file.empty())
        baseline = reports::parse_report(read_input(settings.baseline_file), settings.baseline_file);
    if (baseline && shard) keep_shard_origins(*baseline, *shard);
    for (const auto* path : {&cli.outputs.json, &cli.outputs.junit, &cli.outputs.ndjson, &cli.outputs.prometheus,
                             &cli.outputs.sarif})
        if (!path->empty()) reports::check_writable(*path);

    scanner::ScannerOptions options = scanner_options(settings, cli.edge_ranges_file);  // EdgeRangesError: exit 2
    options.client_cert = cli.client_cert;
    options.client_key = cli.client_key;
    rules::ClientIdentities by_rule = rules::client_identities(policy);  // policy outlives the scan
    options.origin_client_identities = std::move(by_rule.pairs);
    options.client_identity_of = std::move(by_rule.of_origin);
    options.edges_without_sni = rules::edges_without_sni(policy, settings.edges);
#ifdef ORIGINSCAN_TEST_HOOKS
    options.test_hook = test_hook_from_env();
#endif
    options.notice = [](const std::string& text) { std::cerr << "originscan: " << text << "\n"; };
    scanner::Scanner engine(options);  // TrustError: bad --ca-file, --client-cert or --client-key

    Report report;
    report.tool_version = ORIGINSCAN_VERSION;
    report.settings = settings;
    report.started_ms = now_ms();
    report.judged_at = settings.now ? *settings.now : report.started_ms / 1000;
    if (shard)
        report.shard = describe_shard(
            lists, *shard, options_digest(settings, cli.edge_ranges_file, cli.client_cert, cli.client_key));
    rules::Judge judge(policy, baseline ? &*baseline : nullptr, report.settings, report.judged_at);
    // A failed output stops the scan.
    Collector collector(lists, judge, report, cli.outputs, &stop_requested, shard);

    // A scan that fails (the scanner rethrows what one of its threads threw) still gets its
    // reports: what was delivered stays, the rest is not-scanned, the run marked incomplete.
    std::optional<std::string> internal_error;
    {
        std::optional<Progress> progress;
        const Display stderr_display = display_of(STDERR_FILENO);
        if (cli.progress || (stderr_display != Display::lines && !cli.quiet))
            progress.emplace(collector.live(), shard ? report.shard->origins_here : lists.size(), stderr_display);
        auto source = shard ? shard_source(lists.source(), *shard) : lists.source();
        try {
            engine.scan(*source,
                        [&](std::size_t i, const Origin& origin, Observation&& o) { collector.on_result(i, origin, std::move(o)); },
                        &stop_requested);
        } catch (const std::exception& e) {
            internal_error = e.what();
        } catch (...) {
            internal_error = "unknown exception";
        }
    }
    report.finished_ms = now_ms();
    report.complete = !stop_requested.load() && !internal_error;
    if (!report.complete) collector.add_unscanned();
    collector.finish(report);

    const bool stdout_taken = cli.outputs.json == "-" || cli.outputs.junit == "-" || cli.outputs.ndjson == "-" ||
                              cli.outputs.prometheus == "-" || cli.outputs.sarif == "-";
    const bool color = color_wanted(stdout_taken ? STDERR_FILENO : STDOUT_FILENO, cli.no_color);
    const std::string summary =
        cli.quiet ? reports::render_quiet_summary(report, color) : reports::render_summary(report, color);
    if (!cli.zones.paths.empty() && !cli.quiet)
        (stdout_taken ? std::cerr : std::cout) << zone_summary(lists.zone_counts()) << "\n";
    (stdout_taken ? std::cerr : std::cout) << summary << std::flush;

    if (internal_error) std::cerr << "originscan: internal error: " << *internal_error << "\n";
    const std::vector<std::string> output_errors = collector.errors();  // the first is what stopped the scan
    for (const std::string& error : output_errors) std::cerr << "originscan: " << error << "\n";
    if (internal_error || !output_errors.empty()) return exit_internal;
    // A signal that came while the reports were written (complete, they were finished) still
    // says so in the status.
    if (stop_signal.load() != 0) return 128 + stop_signal.load();
    return rules::exit_status(report);
}

}  // namespace

// A closed 0, 1 or 2 would be taken by the next file opened (a report, the NDJSON stream),
// and what goes to stdout or stderr (summary, progress, messages) would land in it: each
// closed one is opened on /dev/null first (open takes the lowest free descriptor).
void open_closed_standard_fds() {
    for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; ++fd)
        if (::fcntl(fd, F_GETFD) < 0 && errno == EBADF && ::open("/dev/null", O_RDWR) < 0) return;  // nothing better
}

int run(int argc, char** argv) {
    open_closed_standard_fds();
    std::vector<std::string> args(argv + 1, argv + argc);
    try {
        if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
            Cli cli;
            RawOptions raw;
            // Asked for: stdout, status 0. No command at all is a usage error: stderr, status 2.
            print_help(scan_options(cli, raw), args.empty() ? std::cerr : std::cout);
            return args.empty() ? exit_usage : 0;
        }
        if (args[0] == "--version") {
            print_version();
            return 0;
        }
        const std::vector<std::string> rest(args.begin() + 1, args.end());
        if (args[0] == "pin") return pin_command(rest);
        if (args[0] == "merge") return merge_command(rest);
        if (args[0] != "scan")
            throw UsageError("unknown command \"" + args[0] + "\" (expected scan, pin, merge, --help, --version)");
        return scan_command(rest);
    } catch (const UsageError& e) {
        std::cerr << "originscan: " << e.what() << "\n";
        return exit_usage;
    } catch (const rules::PolicyError& e) {
        std::cerr << "originscan: " << e.what() << "\n";
        return exit_usage;
    } catch (const reports::ReportError& e) {
        std::cerr << "originscan: --baseline " << e.what() << "\n";
        return exit_usage;
    } catch (const rules::EdgeRangesError& e) {
        std::cerr << "originscan: --edge-ranges " << e.what() << "\n";
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
