#include "reports/json_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <utility>
#include <variant>

#include "reports/format.hpp"
#include "rules/classify.hpp"

namespace originscan::reports {
namespace {

using ordered = nlohmann::ordered_json;
using Json = nlohmann::json;

// The TrustFacts flags beyond `trusted` and `chain_in_order`, written as a list of words.
struct TrustProblem {
    bool TrustFacts::*flag;
    std::string_view name;
};
constexpr TrustProblem trust_problems[] = {
    {&TrustFacts::signer_not_found, "signer-not-found"},
    {&TrustFacts::signer_not_ca, "signer-not-ca"},
    {&TrustFacts::insecure_algorithm, "insecure-algorithm"},
    {&TrustFacts::purpose_mismatch, "purpose-mismatch"},
    {&TrustFacts::invalid_signature, "invalid-signature"},
    {&TrustFacts::revoked, "revoked"},
};

constexpr std::string_view pin_prefix = "sha256/";

// ---------------------------------------------------------------------------------------------
// Writing

ordered string_or_null(const std::string& s) { return s.empty() ? ordered(nullptr) : ordered(s); }

template <class E>
ordered enum_or_null(const std::optional<E>& value) {
    return value ? ordered(to_string(*value)) : ordered(nullptr);
}

template <class E>
ordered enum_list(const std::vector<E>& values) {
    ordered out = ordered::array();
    for (const E value : values) out.push_back(to_string(value));
    return out;
}

ordered cert_json(const CertFacts& cert, std::optional<std::int64_t> judged_at) {
    ordered out = ordered::object();
    out["subject"] = cert.subject;
    out["issuer"] = cert.issuer;
    out["dns_names"] = cert.dns_names;
    out["ip_addresses"] = cert.ip_addresses;
    out["san_count"] = std::max(cert.san_count, cert.dns_names.size() + cert.ip_addresses.size());
    out["names_truncated"] = cert.names_truncated;
    out["not_before"] = format_rfc3339(cert.not_before);
    out["not_after"] = format_rfc3339(cert.not_after);
    if (judged_at) out["days_left"] = days_left(cert.not_after, *judged_at);
    out["sha256_fingerprint"] = cert.sha256_fingerprint;
    out["spki_pin"] = std::string(pin_prefix) + cert.spki_sha256;
    out["signature_algorithm"] = cert.signature_algorithm;
    out["public_key"] = cert.public_key;
    out["is_ca"] = cert.is_ca;
    out["self_issued"] = cert.self_issued;
    out["self_signed"] = cert.self_signed;
    return out;
}

// The path validity was judged over: which presented certificates, which anchor, and the
// certificate on it that expires first.
ordered path_json(const TlsFacts& tls, std::int64_t judged_at) {
    ordered out = ordered::object();
    out["presented"] = tls.trust.path;
    out["anchor"] = tls.trust.anchor ? cert_json(*tls.trust.anchor, judged_at) : ordered(nullptr);
    const CertFacts* first = rules::earliest_expiry(tls);
    if (first == nullptr) {
        out["expires_first"] = nullptr;
    } else {
        out["expires_first"] = ordered{{"certificate", rules::path_role(tls, first)},
                                       {"subject", first->subject},
                                       {"not_after", format_rfc3339(first->not_after)},
                                       {"days_left", days_left(first->not_after, judged_at)}};
    }
    return out;
}

ordered tls_json(const TlsFacts& tls, std::int64_t judged_at) {
    ordered out = ordered::object();
    out["protocol"] = tls.protocol;
    out["cipher"] = tls.cipher;
    out["group"] = string_or_null(tls.group);
    out["handshake_completed"] = tls.handshake_completed;
    out["legacy_protocol"] = tls.legacy_protocol;
    out["client_cert_requested"] = tls.client_cert_requested;
    out["client_cert_presented"] = tls.client_cert_presented;
    out["client_cert_rejected"] = tls.client_cert_rejected;
    out["error"] = string_or_null(tls.error);
    out["failure_reason"] = enum_or_null(tls.failure);
    out["chain_length"] = tls.chain.size();
    out["chain_presented"] = std::max(tls.chain_presented, tls.chain.size());
    out["chain_truncated"] = tls.chain_truncated;
    out["chain_in_order"] = tls.trust.chain_in_order;
    out["trusted"] = tls.trust.trusted;
    ordered problems = ordered::array();
    for (const auto& problem : trust_problems)
        if (tls.trust.*problem.flag) problems.push_back(problem.name);
    out["trust_problems"] = std::move(problems);
    // Only when true (an Origin CA root was among the anchors): a merge rejudges from this
    // report, and origin-ca-not-loaded depends on it (rules/origin_ca.hpp).
    if (tls.trust.origin_ca_loaded) out["origin_ca_loaded"] = true;
    out["name_matches"] = tls.name_matches;
    out["leaf"] = tls.chain.empty() ? ordered(nullptr) : cert_json(tls.chain.front(), judged_at);
    ordered chain = ordered::array();
    for (const CertFacts& cert : tls.chain) chain.push_back(cert_json(cert, std::nullopt));
    out["chain"] = std::move(chain);
    out["path"] = path_json(tls, judged_at);
    return out;
}

ordered timings_json(const Timings& t) {
    return ordered{{"resolve_ms", t.resolve_ms},
                   {"connect_ms", t.connect_ms},
                   {"handshake_ms", t.handshake_ms},
                   {"total_ms", t.total_ms}};
}

void put_offers(ordered& out, const Probe& probe, std::int64_t judged_at);

// address, tls, http, failure, timings and attempts of one probe (all null when there is none).
void put_probe(ordered& out, const Probe* probe, std::int64_t judged_at) {
    out["address"] = probe ? string_or_null(probe->address) : ordered(nullptr);
    out["tls"] = nullptr;
    out["http"] = nullptr;
    out["failure"] = nullptr;
    out["timings"] = nullptr;
    out["attempts"] = nullptr;
    if (probe == nullptr) return;
    if (const auto* tls = std::get_if<TlsFacts>(&probe->outcome)) {
        out["tls"] = tls_json(*tls, judged_at);
    } else if (const auto* http = std::get_if<HttpFacts>(&probe->outcome)) {
        out["http"] = ordered{{"on_tls_port", http->on_tls_port},
                              {"port", http->port},
                              {"status_line", http->status_line}};
    } else if (const auto* failure = std::get_if<Failure>(&probe->outcome)) {
        out["failure"] = ordered{{"reason", to_string(failure->reason)}, {"detail", failure->detail}};
        if (failure->local) out["failure"]["not_probed_here"] = true;
    }
    out["timings"] = timings_json(probe->timings);
    out["attempts"] = probe->attempts;
    put_offers(out, *probe, judged_at);
}

ordered verdict_json(const Verdict& v) {
    ordered out = ordered::object();
    out["required_mode"] = enum_or_null(v.required_mode);
    out["baseline_mode"] = enum_or_null(v.baseline_mode);
    out["change"] = to_string(v.change);
    out["violations"] = enum_list(v.violations);
    out["pins"] = v.pins;
    return out;
}

// ---------------------------------------------------------------------------------------------
// Per-edge fields (--edge with more than Cloudflare; project issue 11), all in this one place:
// the settings' "edges" list, each origin's "edges" object (edge id -> its judgement, in
// ScanSettings::edges order) and each probe's "offers" (the outcome of another edge's own
// handshake). Written only when there is something to say, so a Cloudflare-only report is as
// before; a tool merging reports passes these members through untouched.

ordered edge_json(const EdgeJudgement& e) {
    ordered out = ordered::object();
    out["setting"] = e.setting;
    out["rank"] = e.rank;
    out["reasons"] = enum_list(e.reasons);
    if (!e.required_setting.empty()) out["required_setting"] = e.required_setting;
    if (!e.baseline_setting.empty()) out["baseline_setting"] = e.baseline_setting;
    return out;
}

void put_edges(ordered& out, const OriginResult& r) {
    if (r.edges.empty()) return;
    ordered edges = ordered::object();
    for (const auto& e : r.edges) edges[e.edge] = edge_json(e);
    out["edges"] = std::move(edges);
}

void put_offers(ordered& out, const Probe& probe, std::int64_t judged_at) {
    if (probe.offers.empty()) return;
    ordered offers = ordered::object();
    for (const auto& offer : probe.offers) {
        ordered o = ordered::object();
        o["tls"] = nullptr;
        o["failure"] = nullptr;
        if (const auto* tls = std::get_if<TlsFacts>(&offer.outcome)) {
            o["tls"] = tls_json(*tls, judged_at);
        } else if (const auto* failure = std::get_if<Failure>(&offer.outcome)) {
            o["failure"] = ordered{{"reason", to_string(failure->reason)}, {"detail", failure->detail}};
        }
        offers[offer.offer] = std::move(o);
    }
    out["offers"] = std::move(offers);
}

void put_settings_edges(ordered& out, const ScanSettings& s) {
    if (s.edges.size() > 1) out["edges"] = s.edges;
}

ordered origin_json(const OriginResult& r, std::int64_t judged_at, bool shard_report = false) {
    ordered out = ordered::object();
    out["index"] = r.index;
    out["id"] = identity_text(identity_of(r.origin));
    out["input"] = r.origin.input;
    // Where the line was (FILE:LINE), which JUnit names and SARIF points at: kept in a shard's
    // report so that merge renders them as the scan of the whole list does.
    if (shard_report) out["where"] = r.origin.where;
    out["name"] = r.origin.name;
    out["port"] = r.origin.port;
    out["address"] = nullptr;  // filled by put_probe, kept here for the key order
    out["scanned"] = r.scanned;
    out["class"] = to_string(r.classification.cls);
    out["allowed_mode"] = to_string(r.classification.mode);
    out["reasons"] = enum_list(r.classification.reasons);
    out["verdict"] = verdict_json(r.verdict);
    put_probe(out, shown_probe(r, judged_at), judged_at);
    if (r.observation.probes.size() > 1) {
        // One result per address, each judged on its own (the weakest is the origin's).
        out["addresses_total"] = r.observation.addresses_total;
        out["addresses_capped"] = r.observation.addresses_capped;
        ordered probes = ordered::array();
        for (const Probe& probe : r.observation.probes) {
            const Classification c = rules::classify_probe(probe, judged_at, r.verdict.pins);
            ordered p = ordered::object();
            p["address"] = nullptr;  // filled by put_probe, kept first
            p["class"] = to_string(c.cls);
            p["allowed_mode"] = to_string(c.mode);
            p["reasons"] = enum_list(c.reasons);
            put_probe(p, &probe, judged_at);
            probes.push_back(std::move(p));
        }
        out["probes"] = std::move(probes);
    }
    put_edges(out, r);
    return out;
}

ordered settings_json(const ScanSettings& s) {
    ordered out = ordered::object();
    out["lists"] = s.lists;
    if (!s.zone_files.empty()) {  // absent without --cloudflare-dns: reports before it are unchanged
        out["cloudflare_dns"] = s.zone_files;
        out["all_records"] = s.zone_all_records;
    }
    out["ca_files"] = s.ca_files;
    out["system_trust"] = s.system_trust;
    out["concurrency"] = s.concurrency;
    out["timeout_s"] = s.timeout_s;
    out["retries"] = s.retries;
    out["http_port"] = s.http_port;
    out["now"] = s.now ? ordered(format_rfc3339(*s.now)) : ordered(nullptr);
    out["rules_file"] = string_or_null(s.rules_file);
    out["baseline_file"] = string_or_null(s.baseline_file);
    out["fail_on"] = enum_list(s.fail_on);
    out["expiry_days"] = s.expiry_days;
    put_settings_edges(out, s);
    return out;
}

ordered shard_json(const ShardInfo& shard) {
    ordered out = ordered::object();
    out["index"] = shard.spec.index;
    out["count"] = shard.spec.count;
    out["origins_total"] = shard.origins_total;
    out["origins_here"] = shard.origins_here;
    out["origins_left"] = shard.origins_left();
    out["list_digest"] = shard.list_digest;
    out["options_digest"] = shard.options_digest;
    out["listed_more_than_once"] = shard.listed_more_than_once;
    return out;
}

ordered summary_json(const Report& report) {
    const Tally tally = summarize(report);
    ordered by_class = ordered::object();
    for (const OriginClass c : all_origin_classes)
        by_class[std::string(to_string(c))] = tally.by_class[static_cast<std::size_t>(c)];
    ordered by_mode = ordered::object();
    for (const EdgeMode m : all_edge_modes) by_mode[std::string(to_string(m))] = tally.by_mode[static_cast<std::size_t>(m)];
    ordered out = ordered::object();
    out["total"] = tally.total;
    out["by_class"] = std::move(by_class);
    out["by_mode"] = std::move(by_mode);
    out["violations"] = tally.violations;
    out["downgrades"] = tally.downgrades;
    out["upgrades"] = tally.upgrades;
    out["new"] = tally.added;
    out["not_scanned"] = tally.not_scanned;
    return out;
}

// nlohmann escapes C0 controls; the rest of model/text's unsafe code points (DEL, C1 controls
// such as U+0085 NEL, U+2028/9, bidi controls) would pass raw, and line-based readers (Python's
// str.splitlines, a terminal) act on them. They are written as \uNNNN, which reads back as the
// same text. They can occur only inside strings: the JSON around them is ASCII.
std::string escape_unsafe(std::string text) {
    if (std::none_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x7F; }))
        return text;
    std::string out;
    out.reserve(text.size() + 16);
    char buffer[16];
    for (std::size_t i = 0; i < text.size();) {
        const Utf8Step step = decode_utf8(text, i);  // valid: dump() replaced the invalid bytes
        if (step.code_point >= 0x7F && is_unsafe_code_point(step.code_point)) {
            std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(step.code_point));
            out += buffer;
        } else {
            out.append(text, i, step.length);
        }
        i += step.length;
    }
    return out;
}

// Where the origins array goes in the rendered top level; split out so the origins can be
// streamed between head and tail.
constexpr std::string_view origins_placeholder = "\"origins\": \"@originscan-origins@\"";

// The top-level document with a placeholder for the origins, rendered.
std::string frame(const Report& report) {
    ordered out = ordered::object();
    out["schema_version"] = Report::schema_version;
    out["tool"] = ordered{{"name", "originscan"}, {"version", report.tool_version}};
    out["started_at"] = format_rfc3339_ms(report.started_ms);
    out["finished_at"] = format_rfc3339_ms(report.finished_ms);
    out["judged_at"] = format_rfc3339(report.judged_at);
    out["complete"] = report.complete;
    out["settings"] = settings_json(report.settings);
    if (report.shard) out["shard"] = shard_json(*report.shard);
    out["summary"] = summary_json(report);
    out["origins"] = "@originscan-origins@";
    ordered removed = ordered::array();
    for (const RemovedOrigin& r : report.removed)
        removed.push_back(ordered{
            {"id", identity_text(r.identity)}, {"input", r.input}, {"baseline_mode", to_string(r.baseline_mode)}});
    out["removed"] = std::move(removed);
    return json_text(out, 2) + "\n";
}

// ---------------------------------------------------------------------------------------------
// Reading: every accessor names the JSON path of what it reads, for messages such as
// "old.json: origins[3].class: unknown class \"bogus\"".

std::string member_path(const std::string& where, std::string_view key) {
    return where.empty() ? std::string(key) : where + "." + std::string(key);
}

std::string item_path(const std::string& where, std::size_t index) {
    return where + "[" + std::to_string(index) + "]";
}

class Reader {
public:
    explicit Reader(std::string_view source) : source_(source) {}

    [[noreturn]] void fail(const std::string& where, const std::string& why) const {
        std::string message = inert(source_);  // a path from the command line
        message += ": ";
        if (!where.empty()) message += where + ": ";
        throw ReportError(message + why);
    }

    const Json& member(const Json& object, std::string_view key, const std::string& where) const {
        const auto it = object.find(key);
        if (it == object.end()) fail(member_path(where, key), "missing");
        return *it;
    }

    const Json& object(const Json& parent, std::string_view key, const std::string& where) const {
        const Json& value = member(parent, key, where);
        if (!value.is_object()) fail(member_path(where, key), "expected an object");
        return value;
    }

    // nullptr when the member is null.
    const Json* nullable_object(const Json& parent, std::string_view key, const std::string& where) const {
        const Json& value = member(parent, key, where);
        if (value.is_null()) return nullptr;
        if (!value.is_object()) fail(member_path(where, key), "expected an object or null");
        return &value;
    }

    const Json& array(const Json& parent, std::string_view key, const std::string& where) const {
        const Json& value = member(parent, key, where);
        if (!value.is_array()) fail(member_path(where, key), "expected an array");
        return value;
    }

    std::string string(const Json& parent, std::string_view key, const std::string& where) const {
        const Json& value = member(parent, key, where);
        if (!value.is_string()) fail(member_path(where, key), "expected a string");
        return value.get<std::string>();
    }

    // null reads as the empty string (the writer's convention for "none").
    std::string string_or_null(const Json& parent, std::string_view key, const std::string& where) const {
        const Json& value = member(parent, key, where);
        if (value.is_null()) return {};
        if (!value.is_string()) fail(member_path(where, key), "expected a string or null");
        return value.get<std::string>();
    }

    std::vector<std::string> strings(const Json& parent, std::string_view key, const std::string& where) const {
        const Json& values = array(parent, key, where);
        std::vector<std::string> out;
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (!values[i].is_string()) fail(item_path(member_path(where, key), i), "expected a string");
            out.push_back(values[i].get<std::string>());
        }
        return out;
    }

    bool boolean(const Json& parent, std::string_view key, const std::string& where) const {
        const Json& value = member(parent, key, where);
        if (!value.is_boolean()) fail(member_path(where, key), "expected true or false");
        return value.get<bool>();
    }

    template <class Int>
    static constexpr std::int64_t largest() {
        constexpr auto int_max = static_cast<std::uint64_t>(std::numeric_limits<Int>::max());
        constexpr auto int64_max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
        return static_cast<std::int64_t>(int_max < int64_max ? int_max : int64_max);
    }

    template <class Int>
    Int integer(const Json& parent, std::string_view key, const std::string& where,
                std::int64_t min = std::numeric_limits<Int>::min(), std::int64_t max = largest<Int>()) const {
        const Json& value = member(parent, key, where);
        const std::string path = member_path(where, key);
        if (!value.is_number_integer()) fail(path, "expected an integer");
        if (value.is_number_unsigned() &&
            value.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            fail(path, "out of range");
        const auto n = value.get<std::int64_t>();
        if (n < min || n > max)
            fail(path, "out of range " + std::to_string(min) + ".." + std::to_string(max));
        return static_cast<Int>(n);
    }

    double number(const Json& parent, std::string_view key, const std::string& where) const {
        const Json& value = member(parent, key, where);
        if (!value.is_number()) fail(member_path(where, key), "expected a number");
        return value.get<double>();
    }

    // Unix milliseconds from an RFC 3339 string.
    std::int64_t time_ms(const Json& parent, std::string_view key, const std::string& where) const {
        const std::string text = string(parent, key, where);
        const auto ms = parse_rfc3339_ms(text);
        if (!ms) fail(member_path(where, key), "not an RFC 3339 date-time: " + inert_quoted(text));
        return *ms;
    }

    std::int64_t time_s(const Json& parent, std::string_view key, const std::string& where) const {
        const std::int64_t ms = time_ms(parent, key, where);
        return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    }

    template <class E, class FromString>
    E enumeration(const Json& value, const std::string& path, FromString from_string,
                  std::string_view what) const {
        if (!value.is_string()) fail(path, "expected a string");
        const auto text = value.get<std::string>();
        const std::optional<E> parsed = from_string(text);
        if (!parsed) fail(path, "unknown " + std::string(what) + " " + inert_quoted(text));
        return *parsed;
    }

    template <class E, class FromString>
    E enumeration(const Json& parent, std::string_view key, const std::string& where,
                  FromString from_string, std::string_view what) const {
        return enumeration<E>(member(parent, key, where), member_path(where, key), from_string, what);
    }

    template <class E, class FromString>
    std::optional<E> nullable_enumeration(const Json& parent, std::string_view key, const std::string& where,
                                          FromString from_string, std::string_view what) const {
        const Json& value = member(parent, key, where);
        if (value.is_null()) return std::nullopt;
        return enumeration<E>(value, member_path(where, key), from_string, what);
    }

    template <class E, class FromString>
    std::vector<E> enumerations(const Json& parent, std::string_view key, const std::string& where,
                                FromString from_string, std::string_view what) const {
        const Json& values = array(parent, key, where);
        std::vector<E> out;
        for (std::size_t i = 0; i < values.size(); ++i)
            out.push_back(enumeration<E>(values[i], item_path(member_path(where, key), i), from_string, what));
        return out;
    }

    CertFacts cert(const Json& c, const std::string& where) const {
        CertFacts out;
        out.subject = string(c, "subject", where);
        out.issuer = string(c, "issuer", where);
        out.dns_names = strings(c, "dns_names", where);
        out.ip_addresses = strings(c, "ip_addresses", where);
        if (c.contains("san_count")) out.san_count = integer<std::size_t>(c, "san_count", where, 0);
        if (c.contains("names_truncated")) out.names_truncated = boolean(c, "names_truncated", where);
        out.not_before = time_s(c, "not_before", where);
        out.not_after = time_s(c, "not_after", where);
        out.sha256_fingerprint = string(c, "sha256_fingerprint", where);
        const std::string pin = string(c, "spki_pin", where);
        if (pin.rfind(pin_prefix, 0) != 0)
            fail(member_path(where, "spki_pin"), "expected \"sha256/\" followed by base64");
        out.spki_sha256 = pin.substr(pin_prefix.size());
        out.signature_algorithm = string(c, "signature_algorithm", where);
        out.public_key = string(c, "public_key", where);
        out.is_ca = boolean(c, "is_ca", where);
        out.self_issued = boolean(c, "self_issued", where);
        out.self_signed = boolean(c, "self_signed", where);
        return out;
    }

    TlsFacts tls(const Json& t, const std::string& where) const {
        TlsFacts out;
        out.protocol = string(t, "protocol", where);
        out.cipher = string(t, "cipher", where);
        out.group = string_or_null(t, "group", where);
        out.handshake_completed = boolean(t, "handshake_completed", where);
        out.legacy_protocol = boolean(t, "legacy_protocol", where);
        out.client_cert_requested = boolean(t, "client_cert_requested", where);
        // Reports before --client-cert: nothing was presented.
        if (t.contains("client_cert_presented"))
            out.client_cert_presented = boolean(t, "client_cert_presented", where);
        if (t.contains("client_cert_rejected")) out.client_cert_rejected = boolean(t, "client_cert_rejected", where);
        out.error = string_or_null(t, "error", where);
        // Reports before failure_reason: a failed handshake was only ever kept as TLS facts
        // when the origin had asked for a client certificate and alerted.
        if (t.contains("failure_reason"))
            out.failure = nullable_enumeration<Reason>(t, "failure_reason", where, reason_from_string, "reason");
        else if (!out.handshake_completed)
            out.failure = out.client_cert_requested ? Reason::tls_alert : Reason::tls_error;
        out.trust.chain_in_order = boolean(t, "chain_in_order", where);
        out.trust.trusted = boolean(t, "trusted", where);
        const std::string problems_path = member_path(where, "trust_problems");
        for (const std::string& name : strings(t, "trust_problems", where)) {
            bool known = false;
            for (const auto& problem : trust_problems)
                if (problem.name == name) out.trust.*problem.flag = known = true;
            if (!known) fail(problems_path, "unknown trust problem " + inert_quoted(name));
        }
        if (t.contains("origin_ca_loaded")) out.trust.origin_ca_loaded = boolean(t, "origin_ca_loaded", where);
        out.name_matches = boolean(t, "name_matches", where);
        const std::string chain_path = member_path(where, "chain");
        const Json& chain = array(t, "chain", where);
        for (std::size_t i = 0; i < chain.size(); ++i) {
            if (!chain[i].is_object()) fail(item_path(chain_path, i), "expected an object");
            out.chain.push_back(cert(chain[i], item_path(chain_path, i)));
        }
        // Reports before the path was recorded have none: validity_path() then uses the chain.
        if (t.contains("path")) {
            const std::string path = member_path(where, "path");
            const Json& p = object(t, "path", where);
            const Json& presented = array(p, "presented", path);
            for (std::size_t i = 0; i < presented.size(); ++i) {
                if (!presented[i].is_number_unsigned() || presented[i].get<std::size_t>() >= out.chain.size())
                    fail(item_path(member_path(path, "presented"), i), "expected an index into the chain");
                out.trust.path.push_back(presented[i].get<std::size_t>());
            }
            if (const Json* anchor = nullable_object(p, "anchor", path))
                out.trust.anchor = cert(*anchor, member_path(path, "anchor"));
        }
        if (integer<std::size_t>(t, "chain_length", where, 0) != out.chain.size())
            fail(member_path(where, "chain_length"), "does not match the chain's length");
        out.chain_presented = out.chain.size();  // reports before 0.2 did not say
        if (t.contains("chain_presented")) out.chain_presented = integer<std::size_t>(t, "chain_presented", where, 0);
        if (t.contains("chain_truncated")) out.chain_truncated = boolean(t, "chain_truncated", where);
        // The leaf is chain[0] with days_left; check it is the same certificate.
        const Json* leaf = nullable_object(t, "leaf", where);
        if ((leaf == nullptr) != out.chain.empty())
            fail(member_path(where, "leaf"), "present exactly when the chain is not empty");
        if (leaf && string(*leaf, "sha256_fingerprint", member_path(where, "leaf")) !=
                        out.chain.front().sha256_fingerprint)
            fail(member_path(where, "leaf"), "is not the first certificate of the chain");
        return out;
    }

    Timings timings(const Json& t, const std::string& where) const {
        return {number(t, "resolve_ms", where), number(t, "connect_ms", where),
                number(t, "handshake_ms", where), number(t, "total_ms", where)};
    }

    // One probe from an object holding address, tls, http, failure, timings; nullopt when all
    // of them say there was none.
    std::optional<Probe> probe(const Json& p, const std::string& where) const {
        const std::string address = string_or_null(p, "address", where);
        const Json* tls_json = nullable_object(p, "tls", where);
        const Json* http_json = nullable_object(p, "http", where);
        const Json* failure_json = nullable_object(p, "failure", where);
        const Json* timings_json = nullable_object(p, "timings", where);
        const int outcomes = (tls_json != nullptr) + (http_json != nullptr) + (failure_json != nullptr);
        if (outcomes == 0 && timings_json == nullptr && address.empty()) return std::nullopt;
        if (outcomes != 1) fail(where, "expected exactly one of tls, http and failure");
        if (timings_json == nullptr) fail(member_path(where, "timings"), "missing for a probe");

        Probe out;
        out.address = address;
        out.timings = timings(*timings_json, member_path(where, "timings"));
        // Reports before retries made one attempt.
        if (p.contains("attempts")) out.attempts = integer<unsigned>(p, "attempts", where, 0);
        if (tls_json) {
            out.outcome = tls(*tls_json, member_path(where, "tls"));
        } else if (http_json) {
            const std::string path = member_path(where, "http");
            out.outcome = HttpFacts{boolean(*http_json, "on_tls_port", path),
                                    integer<std::uint16_t>(*http_json, "port", path),
                                    string(*http_json, "status_line", path)};
        } else {
            const std::string path = member_path(where, "failure");
            out.outcome = Failure{enumeration<Reason>(*failure_json, "reason", path, reason_from_string, "reason"),
                                  string(*failure_json, "detail", path),
                                  failure_json->contains("not_probed_here") &&
                                      boolean(*failure_json, "not_probed_here", path)};
        }
        return out;
    }

    // What a baseline matches an origin by: its `id`, or in a report written before ids, its
    // input parsed again (what the id was made from).
    OriginIdentity identity(const Json& o, const std::string& input, const std::string& where) const {
        if (o.contains("id")) {
            const std::string text = string(o, "id", where);
            if (auto id = parse_identity_text(text)) return *id;
            fail(member_path(where, "id"), inert_quoted(text) + " is not an origin id (NAME:PORT or NAME:PORT@ADDRESS[,ADDRESS...], "
                                                                 "lower case, IPv6 in brackets)");
        }
        const auto parsed = parse_origin_spec(input);
        if (const auto* why = std::get_if<std::string>(&parsed))
            fail(member_path(where, "input"), "no id, and not an origin spec to derive it from: " + *why);
        return identity_of(std::get<Origin>(parsed));
    }

    OriginResult origin(const Json& o, const std::string& where) const {
        OriginResult out;
        out.index = integer<std::size_t>(o, "index", where, 0);
        out.origin.input = string(o, "input", where);
        if (o.contains("where")) out.origin.where = string(o, "where", where);
        out.origin.name = string(o, "name", where);
        out.origin.port = integer<std::uint16_t>(o, "port", where);
        const OriginIdentity id = identity(o, out.origin.input, where);
        out.origin.addresses = id.addresses;
        if (identity_of(out.origin) != id)
            fail(where, "id " + inert_quoted(identity_text(id)) + " does not match its name and port");
        out.scanned = boolean(o, "scanned", where);
        out.classification.cls =
            enumeration<OriginClass>(o, "class", where, origin_class_from_string, "class");
        out.classification.mode =
            enumeration<EdgeMode>(o, "allowed_mode", where, edge_mode_from_string, "mode");
        out.classification.reasons =
            enumerations<Reason>(o, "reasons", where, reason_from_string, "reason");

        const std::string verdict_path = member_path(where, "verdict");
        const Json& v = object(o, "verdict", where);
        out.verdict.required_mode =
            nullable_enumeration<EdgeMode>(v, "required_mode", verdict_path, edge_mode_from_string, "mode");
        out.verdict.baseline_mode =
            nullable_enumeration<EdgeMode>(v, "baseline_mode", verdict_path, edge_mode_from_string, "mode");
        out.verdict.change = enumeration<Change>(v, "change", verdict_path, change_from_string, "change");
        out.verdict.violations =
            enumerations<Violation>(v, "violations", verdict_path, violation_from_string, "violation");
        out.verdict.pins = strings(v, "pins", verdict_path);

        if (o.contains("addresses_total")) {
            out.observation.addresses_total = integer<std::size_t>(o, "addresses_total", where, 0);
            out.observation.addresses_capped = boolean(o, "addresses_capped", where);
        }
        if (const auto it = o.find("probes"); it != o.end()) {
            const std::string probes_path = member_path(where, "probes");
            if (!it->is_array()) fail(probes_path, "expected an array");
            for (std::size_t i = 0; i < it->size(); ++i) {
                const Json& p = (*it)[i];
                if (!p.is_object()) fail(item_path(probes_path, i), "expected an object");
                auto parsed = probe(p, item_path(probes_path, i));
                if (!parsed) fail(item_path(probes_path, i), "is empty");
                out.observation.probes.push_back(std::move(*parsed));
            }
        } else if (auto parsed = probe(o, where)) {
            out.observation.probes.push_back(std::move(*parsed));
        }
        out.edges = edges(o, where);
        return out;
    }

    // Per-edge fields (see the writing side): each origin's "edges", read for the baseline
    // (a report without them compares Cloudflare's mode only); the probes' "offers" are
    // facts for a reader, not read back.
    std::vector<EdgeJudgement> edges(const Json& o, const std::string& where) const {
        std::vector<EdgeJudgement> out;
        const auto it = o.find("edges");
        if (it == o.end()) return out;
        const std::string path = member_path(where, "edges");
        if (!it->is_object()) fail(path, "expected an object");
        for (const auto& [id, e] : it->items()) {
            const std::string at = member_path(path, id);
            if (!e.is_object()) fail(at, "expected an object");
            EdgeJudgement j;
            j.edge = id;
            j.setting = string(e, "setting", at);
            j.rank = integer<int>(e, "rank", at, 0);
            j.reasons = enumerations<Reason>(e, "reasons", at, reason_from_string, "reason");
            out.push_back(std::move(j));
        }
        return out;
    }

    ScanSettings settings(const Json& s, const std::string& where) const {
        ScanSettings out;
        out.lists = strings(s, "lists", where);
        if (s.contains("cloudflare_dns")) {
            out.zone_files = strings(s, "cloudflare_dns", where);
            out.zone_all_records = boolean(s, "all_records", where);
        }
        out.ca_files = strings(s, "ca_files", where);
        out.system_trust = boolean(s, "system_trust", where);
        out.concurrency = integer<unsigned>(s, "concurrency", where, 0);
        out.timeout_s = number(s, "timeout_s", where);
        out.retries = s.contains("retries") ? integer<unsigned>(s, "retries", where, 0) : 0;  // none before
        out.http_port = integer<std::uint16_t>(s, "http_port", where);
        if (!member(s, "now", where).is_null()) out.now = time_s(s, "now", where);
        out.rules_file = string_or_null(s, "rules_file", where);
        out.baseline_file = string_or_null(s, "baseline_file", where);
        out.fail_on = enumerations<Violation>(s, "fail_on", where, violation_from_string, "violation");
        out.expiry_days = integer<int>(s, "expiry_days", where);
        if (s.contains("edges")) out.edges = strings(s, "edges", where);
        return out;
    }

    ShardInfo shard(const Json& s, const std::string& where) const {
        ShardInfo out;
        out.spec.count = integer<std::size_t>(s, "count", where, 1, max_shards);
        out.spec.index = integer<std::size_t>(s, "index", where, 0, static_cast<std::int64_t>(out.spec.count) - 1);
        out.origins_total = integer<std::size_t>(s, "origins_total", where, 0);
        out.origins_here = integer<std::size_t>(s, "origins_here", where, 0, static_cast<std::int64_t>(out.origins_total));
        out.list_digest = string(s, "list_digest", where);
        out.options_digest = string(s, "options_digest", where);
        const std::string repeated_path = member_path(where, "listed_more_than_once");
        const Json& repeated = array(s, "listed_more_than_once", where);
        for (std::size_t i = 0; i < repeated.size(); ++i) {
            if (!repeated[i].is_number_unsigned() || repeated[i].get<std::size_t>() >= out.origins_total)
                fail(item_path(repeated_path, i), "expected an index into the list");
            out.listed_more_than_once.push_back(repeated[i].get<std::size_t>());
        }
        return out;
    }

private:
    std::string_view source_;
};

// The header of a report: everything but its origins and removed.
Report report_head(const Reader& reader, const Json& doc) {
    const auto not_ours = [&] { reader.fail("", "not an originscan report (no tool.name \"originscan\")"); };
    if (!doc.is_object()) not_ours();
    const auto tool = doc.find("tool");
    if (tool == doc.end() || !tool->is_object()) not_ours();
    const auto name = tool->find("name");
    if (name == tool->end() || *name != "originscan") not_ours();

    const auto version = doc.find("schema_version");
    if (version == doc.end()) reader.fail("schema_version", "missing");
    if (!version->is_number_integer() || *version != Report::schema_version)
        reader.fail("schema_version", version->dump(-1, ' ', /*ensure_ascii=*/true) + " is not supported (this originscan reads " +
                                          std::to_string(Report::schema_version) + ")");

    Report report;
    report.tool_version = reader.string(*tool, "version", "tool");
    report.started_ms = reader.time_ms(doc, "started_at", "");
    report.finished_ms = reader.time_ms(doc, "finished_at", "");
    report.judged_at = reader.time_s(doc, "judged_at", "");
    report.complete = reader.boolean(doc, "complete", "");
    report.settings = reader.settings(reader.object(doc, "settings", ""), "settings");
    if (doc.contains("shard")) report.shard = reader.shard(reader.object(doc, "shard", ""), "shard");
    return report;
}

}  // namespace

std::string json_text(const nlohmann::ordered_json& value, int indent) {
    return escape_unsafe(value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace));
}

nlohmann::ordered_json report_to_json(const Report& report) { return ordered::parse(render_json(report)); }

JsonFrame json_frame(const Report& report) {
    const std::string text = frame(report);
    const std::size_t at = text.find(origins_placeholder);
    constexpr std::string_view value = "\"@originscan-origins@\"";
    return {text.substr(0, at + origins_placeholder.size() - value.size()) + "[",
            text.substr(at + origins_placeholder.size())};
}

std::string json_origin(const OriginResult& result, std::int64_t judged_at, bool shard_report) {
    // Two levels deep: inside the top-level object and the origins array.
    const std::string flat = json_text(origin_json(result, judged_at, shard_report), 2);
    std::string out = "    ";
    out.reserve(flat.size() + flat.size() / 8);
    for (const char c : flat) {
        out += c;
        if (c == '\n') out += "    ";
    }
    return out;
}

std::string ndjson_origin(const OriginResult& result, std::int64_t judged_at) {
    return json_text(origin_json(result, judged_at), -1);
}

std::string render_json(const Report& report) {
    const JsonFrame frame = json_frame(report);
    std::string out = frame.head;
    for (std::size_t i = 0; i < report.origins.size(); ++i) {
        out += JsonFrame::before(i);
        out += json_origin(report.origins[i], report.judged_at, report.shard.has_value());
    }
    out += JsonFrame::close(!report.origins.empty());
    return out + frame.tail;
}

nlohmann::json parse_report_json(std::string_view text, std::string_view source, const std::string& where) {
    try {
        return Json::parse(text);
    } catch (const Json::exception& e) {  // parse_error, or out_of_range for a number such as 1e999
        // Drop nlohmann's "[json.exception.parse_error.101] " prefix: the rest says where.
        std::string what = e.what();
        if (const auto end = what.find("] "); what.rfind("[json.exception", 0) == 0 && end != std::string::npos)
            what.erase(0, end + 2);
        Reader(source).fail(where, "not JSON: " + inert(what));  // it quotes what it last read
    }
}

Report parse_report(std::string_view text, std::string_view source) {
    const Reader reader(source);
    const Json doc = parse_report_json(text, source, "");
    Report report = report_head(reader, doc);

    const Json& origins = reader.array(doc, "origins", "");
    for (std::size_t i = 0; i < origins.size(); ++i) {
        const std::string where = item_path("origins", i);
        if (!origins[i].is_object()) reader.fail(where, "expected an object");
        report.origins.push_back(reader.origin(origins[i], where));
    }

    const Json& removed = reader.array(doc, "removed", "");
    for (std::size_t i = 0; i < removed.size(); ++i) {
        const std::string where = item_path("removed", i);
        if (!removed[i].is_object()) reader.fail(where, "expected an object");
        RemovedOrigin r;
        r.input = reader.string(removed[i], "input", where);
        r.baseline_mode = reader.enumeration<EdgeMode>(removed[i], "baseline_mode", where, edge_mode_from_string, "mode");
        r.identity = reader.identity(removed[i], r.input, where);
        report.removed.push_back(std::move(r));
    }
    return report;
}

Report parse_report_head(const nlohmann::json& doc, std::string_view source) {
    return report_head(Reader(source), doc);
}

OriginResult parse_report_origin(const nlohmann::json& origin, std::string_view source, std::size_t position) {
    const Reader reader(source);
    const std::string where = item_path("origins", position);
    if (!origin.is_object()) reader.fail(where, "expected an object");
    return reader.origin(origin, where);
}

}  // namespace originscan::reports
