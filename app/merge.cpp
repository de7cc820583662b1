#include "app/merge.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <queue>
#include <unordered_set>

#include <boost/program_options.hpp>

#include "app/collector.hpp"
#include "app/command_line.hpp"
#include "app/input_file.hpp"
#include "app/terminal.hpp"
#include "app/usage_error.hpp"
#include "model/shard.hpp"
#include "reports/atomic_file.hpp"
#include "reports/json_report.hpp"
#include "reports/report_stream.hpp"
#include "reports/summary.hpp"
#include "rules/policy.hpp"

namespace originscan::app {
namespace {

namespace po = boost::program_options;

struct MergeCli {
    std::string rules_file, baseline_file;
    OutputPaths outputs;
    std::vector<std::string> shards;
    bool quiet = false, no_color = false;
};

po::options_description merge_options(MergeCli& cli) {
    po::options_description d("Options");
    d.add_options()
        ("rules", po::value(&cli.rules_file)->value_name("FILE"), "policy applied to the merged origins")
        ("baseline", po::value(&cli.baseline_file)->value_name("FILE"),
         "an earlier JSON report (of the whole list); a lower mode now is a downgrade")
        ("json", po::value(&cli.outputs.json)->value_name("FILE"), "write the merged JSON report (required; '-' for stdout)")
        ("junit", po::value(&cli.outputs.junit)->value_name("FILE"), "write the JUnit XML report")
        ("sarif", po::value(&cli.outputs.sarif)->value_name("FILE"), "write SARIF 2.1.0")
        ("prometheus", po::value(&cli.outputs.prometheus)->value_name("FILE"), "write metrics in the Prometheus text format")
        ("ndjson", po::value(&cli.outputs.ndjson)->value_name("FILE"), "one JSON object per origin, in input order")
        ("quiet", po::bool_switch(&cli.quiet), "summary: only the violations and one counts line")
        ("no-color", po::bool_switch(&cli.no_color), "no colour")
        ("help,h", "show this help");
    return d;
}

bool same_existing_file(const std::string& a, const std::string& b) {
    struct stat sa {}, sb {};
    return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && !S_ISCHR(sa.st_mode) &&
           sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

std::string shard_name(const ShardSpec& spec) { return std::to_string(spec.index) + "/" + std::to_string(spec.count); }

// The shards given, checked to be every shard of one run exactly once. Throws UsageError.
std::vector<std::unique_ptr<reports::ReportStream>> open_shards(const std::vector<std::string>& paths) {
    std::vector<std::unique_ptr<reports::ReportStream>> shards;
    for (const std::string& path : paths) {
        try {
            shards.push_back(std::make_unique<reports::ReportStream>(path));
        } catch (const reports::ReportError& e) {
            throw UsageError(std::string("shard ") + e.what());
        }
        if (!shards.back()->head().shard)
            throw UsageError("shard " + path + ": not a shard report (written by a scan without --shard)");
    }
    const reports::ReportStream& first = *shards.front();
    const ShardInfo& one = *first.head().shard;
    const auto differs = [&](const reports::ReportStream& other, const std::string& what) {
        return UsageError("shard " + other.path() + " (" + shard_name(other.head().shard->spec) + ") is of " + what +
                          " than " + first.path() + " (" + shard_name(one.spec) + "): not shards of one run");
    };
    std::vector<const reports::ReportStream*> by_index(one.spec.count, nullptr);
    for (const auto& shard : shards) {
        const ShardInfo& info = *shard->head().shard;
        if (info.spec.count != one.spec.count) throw differs(*shard, "another shard count");
        if (info.list_digest != one.list_digest || info.origins_total != one.origins_total)
            throw differs(*shard, "another list");
        if (info.options_digest != one.options_digest || shard->head().tool_version != first.head().tool_version)
            throw differs(*shard, "other options (or another originscan version)");
        const reports::ReportStream*& slot = by_index[info.spec.index];
        if (slot != nullptr)
            throw UsageError("shard " + shard_name(info.spec) + " is given twice: " + slot->path() + " and " +
                             shard->path());
        slot = shard.get();
    }
    std::string missing;
    for (std::size_t i = 0; i < by_index.size(); ++i)
        if (by_index[i] == nullptr) missing += (missing.empty() ? "" : ", ") + shard_name({i, one.spec.count});
    if (!missing.empty()) throw UsageError("shard " + missing + " missing: merge needs every shard of the run");
    return shards;
}

// The merged run's header: as one scan of the whole list would have written it.
Report merged_head(const std::vector<std::unique_ptr<reports::ReportStream>>& shards, const MergeCli& cli) {
    const auto by_index = [](const auto& a, const auto& b) { return a->head().shard->spec.index < b->head().shard->spec.index; };
    const Report& zero = (*std::min_element(shards.begin(), shards.end(), by_index))->head();
    Report report;
    report.tool_version = zero.tool_version;
    report.settings = zero.settings;  // lists, concurrency: shard 0's; the rest agree (options_digest)
    report.settings.rules_file = cli.rules_file;
    report.settings.baseline_file = cli.baseline_file;
    report.started_ms = zero.started_ms;
    report.finished_ms = zero.finished_ms;
    report.judged_at = zero.judged_at;
    for (const auto& shard : shards) {
        const Report& head = shard->head();
        report.started_ms = std::min(report.started_ms, head.started_ms);
        report.finished_ms = std::max(report.finished_ms, head.finished_ms);
        // Equal under --now (in the options digest); otherwise the run's start, as a scan's.
        report.judged_at = std::min(report.judged_at, head.judged_at);
        report.complete = report.complete && head.complete;
    }
    return report;
}

// Every origin of the list, in input order, from the shard that holds it. Throws UsageError
// when an index is in no shard, in two, or an origin is in the wrong shard.
void merge_origins(const std::vector<std::unique_ptr<reports::ReportStream>>& shards, std::size_t total,
                   Collector& collector) {
    struct Head {
        std::size_t index;
        std::size_t shard;
        bool operator>(const Head& other) const { return index > other.index; }
    };
    std::vector<OriginResult> current(shards.size());
    std::vector<std::size_t> read(shards.size(), 0);
    std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
    std::unordered_set<std::size_t> repeated;  // indices of identities on several lines
    std::unordered_set<OriginIdentity, OriginIdentityHash> repeated_seen;
    const auto advance = [&](std::size_t k) {
        reports::ReportStream& stream = *shards[k];
        bool more = false;
        try {
            more = stream.next(current[k]);
        } catch (const reports::ReportError& e) {
            throw UsageError(std::string("shard ") + e.what());
        }
        if (!more) return;
        const ShardSpec spec = stream.head().shard->spec;
        const OriginResult& r = current[k];
        const std::string where = "shard " + stream.path() + ": origins[" + std::to_string(read[k]) + "]";
        if (shard_of(identity_of(r.origin), spec.count) != spec.index)
            throw UsageError(where + " (" + identity_text(identity_of(r.origin)) + ") is not of shard " + shard_name(spec));
        if (r.index >= total) throw UsageError(where + ": index " + std::to_string(r.index) + " is past the list");
        ++read[k];
        heads.push({r.index, k});
    };
    for (std::size_t k = 0; k < shards.size(); ++k) {
        for (const std::size_t i : shards[k]->head().shard->listed_more_than_once) repeated.insert(i);
        advance(k);
    }
    for (std::size_t expected = 0; expected < total; ++expected) {
        if (heads.empty() || heads.top().index > expected)
            throw UsageError("origin " + std::to_string(expected) + " of the list is in no shard report");
        const Head head = heads.top();
        heads.pop();
        if (head.index < expected)
            throw UsageError("shard " + shards[head.shard]->path() + ": origin " + std::to_string(head.index) +
                             " of the list is there twice, or out of input order");
        OriginResult result = std::move(current[head.shard]);
        advance(head.shard);
        bool duplicate = false, listed_more_than_once = false;
        if (repeated.count(result.index)) {
            listed_more_than_once = true;
            duplicate = !repeated_seen.insert(identity_of(result.origin)).second;  // a later line of it
        }
        collector.on_read(std::move(result), duplicate, listed_more_than_once);
    }
    if (!heads.empty())
        throw UsageError("shard " + shards[heads.top().shard]->path() + ": origin " + std::to_string(heads.top().index) +
                         " of the list is there twice");
    for (std::size_t k = 0; k < shards.size(); ++k)
        if (read[k] != shards[k]->head().shard->origins_here)
            throw UsageError("shard " + shards[k]->path() + ": holds " + std::to_string(read[k]) + " origins, its header says " +
                             std::to_string(shards[k]->head().shard->origins_here));
}

}  // namespace

int merge_command(const std::vector<std::string>& args) {
    MergeCli cli;
    const po::options_description options = merge_options(cli);
    po::variables_map vm;
    if (!parse_command_line(args, options, "shard-report", cli.shards, vm)) {
        std::cout << "Usage: originscan merge [OPTIONS] SHARD.json...\n\n"
                     "Joins the JSON reports of `originscan scan --shard I/N` (every I of one N, one list,\n"
                     "the same options) into the reports one scan of the whole list writes; --rules and\n"
                     "--baseline apply to the merged origins.\n\n"
                  << options
                  << "\nExit status: 0 all good, 1 policy failure, 2 bad usage or shards that are not one run,\n"
                     "3 I/O error or an interrupted shard.\n";
        return 0;
    }
    if (cli.outputs.json.empty()) throw UsageError("merge: --json FILE is required");
    if (cli.shards.empty()) throw UsageError("merge: no shard reports given");
    const auto& out = cli.outputs;
    if ((out.json == "-") + (out.junit == "-") + (out.ndjson == "-") + (out.prometheus == "-") + (out.sarif == "-") > 1)
        throw UsageError("only one of --json, --junit, --ndjson, --prometheus and --sarif can go to stdout ('-')");
    std::vector<std::string> inputs = cli.shards;
    if (!cli.rules_file.empty()) inputs.push_back(cli.rules_file);
    if (!cli.baseline_file.empty()) inputs.push_back(cli.baseline_file);
    for (const std::string* path : {&out.json, &out.junit, &out.ndjson, &out.prometheus, &out.sarif})
        for (const std::string& input : inputs)
            if (!path->empty() && *path != "-" && same_existing_file(*path, input))
                throw UsageError("merge: output " + *path + " would overwrite the input " + input);

    const auto shards = open_shards(cli.shards);
    const auto read_input = [](const std::string& path) { return InputFile::read_all(path, std::size_t{1} << 30); };
    rules::Policy policy;
    if (!cli.rules_file.empty()) policy = rules::parse_policy(read_input(cli.rules_file), cli.rules_file);
    std::optional<Report> baseline;
    if (!cli.baseline_file.empty())
        baseline = reports::parse_report(read_input(cli.baseline_file), cli.baseline_file);
    for (const std::string* path : {&out.json, &out.junit, &out.ndjson, &out.prometheus, &out.sarif})
        if (!path->empty()) reports::check_writable(*path);

    Report report = merged_head(shards, cli);
    const std::size_t total = shards.front()->head().shard->origins_total;
    rules::Judge judge(policy, baseline ? &*baseline : nullptr, report.settings, report.judged_at);
    Collector collector(total, judge, report, cli.outputs);
    merge_origins(shards, total, collector);
    collector.finish(report);

    const bool stdout_taken = out.json == "-" || out.junit == "-" || out.ndjson == "-" || out.prometheus == "-" ||
                              out.sarif == "-";
    const bool color = color_wanted(stdout_taken ? STDERR_FILENO : STDOUT_FILENO, cli.no_color);
    (stdout_taken ? std::cerr : std::cout)
        << (cli.quiet ? reports::render_quiet_summary(report, color) : reports::render_summary(report, color))
        << std::flush;
    const std::vector<std::string> errors = collector.errors();
    for (const std::string& error : errors) std::cerr << "originscan: " << error << "\n";
    if (!errors.empty()) return rules::exit_internal;
    if (!report.complete) {
        for (const auto& shard : shards)
            if (!shard->head().complete)
                std::cerr << "originscan: shard " << shard->path() << " was interrupted: its unfinished origins are not-scanned\n";
        return rules::exit_internal;
    }
    return rules::exit_status(report);
}

}  // namespace originscan::app
