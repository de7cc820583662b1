#include "app/shard.hpp"

#include <algorithm>
#include <cstdlib>

#include "app/usage_error.hpp"
#include "model/time.hpp"

namespace originscan::app {
namespace {

bool in_shard(const Origin& origin, ShardSpec spec) {
    return shard_of(identity_of(origin), spec.count) == spec.index;
}

class ShardSource final : public scanner::OriginSource {
public:
    ShardSource(std::unique_ptr<scanner::OriginSource> all, ShardSpec spec) : all_(std::move(all)), spec_(spec) {}
    bool next(std::size_t& index, Origin& origin) override {
        while (all_->next(index, origin))
            if (in_shard(origin, spec_)) return true;
        return false;
    }

private:
    std::unique_ptr<scanner::OriginSource> all_;
    ShardSpec spec_;
};

}  // namespace

std::optional<ShardSpec> shard_from_options(const std::string& shard, const std::string& shards) {
    if (!shard.empty() && !shards.empty())
        throw UsageError("--shard and --shards: give one (--shards N takes I from JOB_COMPLETION_INDEX)");
    if (!shard.empty()) {
        auto parsed = parse_shard_spec(shard);
        if (const auto* why = std::get_if<std::string>(&parsed)) throw UsageError("--shard \"" + shard + "\": " + *why);
        return std::get<ShardSpec>(parsed);
    }
    if (shards.empty()) return std::nullopt;
    const auto count = parse_shard_number(shards);
    if (const auto* why = std::get_if<std::string>(&count)) throw UsageError("--shards \"" + shards + "\": " + *why);
    const char* index = std::getenv("JOB_COMPLETION_INDEX");
    if (index == nullptr || *index == '\0')
        throw UsageError("--shards " + shards +
                         ": JOB_COMPLETION_INDEX (the index of a Kubernetes Indexed Job's pod) is not set; "
                         "give --shard I/N instead");
    const std::string spec = std::string(index) + "/" + shards;
    auto parsed = parse_shard_spec(spec);
    if (const auto* why = std::get_if<std::string>(&parsed))
        throw UsageError("--shards " + shards + " with JOB_COMPLETION_INDEX=" + index + ": " + *why);
    return std::get<ShardSpec>(parsed);
}

std::string options_digest(const ScanSettings& s, const std::string& edge_ranges_file, const std::string& client_cert,
                           const std::string& client_key) {
    Fnv1a64 hash;
    // Each field as "name=value\n"; lists end with an empty item, so no two settings read alike.
    const auto field = [&](std::string_view name, const std::string& value) {
        hash.add(name).add("=").add(value).add("\n");
    };
    field("version", ORIGINSCAN_VERSION);
    for (const std::string& ca : s.ca_files) field("ca_file", ca);
    field("ca_files", "");
    field("system_trust", s.system_trust ? "1" : "0");
    field("timeout_ms", std::to_string(static_cast<long long>(s.timeout_s * 1000 + 0.5)));
    field("retries", std::to_string(s.retries));
    field("http_port", std::to_string(s.http_port));
    field("now", s.now ? format_rfc3339(*s.now) : "");
    for (const Violation v : s.fail_on) field("fail_on", std::string(to_string(v)));
    field("fail_ons", "");
    field("expiry_days", std::to_string(s.expiry_days));
    for (const std::string& edge : s.edges) field("edge", edge);
    field("edges", "");
    field("edge_ranges", edge_ranges_file);
    field("client_cert", client_cert);
    field("client_key", client_key);
    return hash.hex();
}

ShardInfo describe_shard(const OriginLists& lists, ShardSpec spec, std::string options_digest) {
    ShardInfo info;
    info.spec = spec;
    info.options_digest = std::move(options_digest);
    Fnv1a64 list;
    auto all = lists.source(/*with_duplicates=*/true);
    std::size_t index = 0;
    Origin origin;
    while (all->next(index, origin)) {
        list.add(origin.input).add("\n");
        ++info.origins_total;
        if (!in_shard(origin, spec)) continue;
        ++info.origins_here;
        if (lists.is_duplicate(index) || lists.duplicates_of(index)) info.listed_more_than_once.push_back(index);
    }
    info.list_digest = list.hex();
    return info;
}

std::unique_ptr<scanner::OriginSource> shard_source(std::unique_ptr<scanner::OriginSource> all, ShardSpec spec) {
    return std::make_unique<ShardSource>(std::move(all), spec);
}

void keep_shard_origins(Report& baseline, ShardSpec spec) {
    std::erase_if(baseline.origins, [&](const OriginResult& old) { return !in_shard(old.origin, spec); });
}

}  // namespace originscan::app
