#include "scanner/der.hpp"

#include <algorithm>
#include <array>

namespace originscan::scanner {
namespace {

struct Tlv {
    std::uint8_t tag = 0;
    std::size_t header = 0;  // tag and length bytes
    std::size_t length = 0;  // content bytes
    std::size_t size() const { return header + length; }
};

// One element at the start of `in`; nullopt unless it is definite-length DER that fits in `in`.
std::optional<Tlv> read(DerBytes in) {
    if (in.size() < 2 || (in[0] & 0x1f) == 0x1f) return std::nullopt;  // multi-byte tags: not in X.509
    Tlv tlv{in[0], 2, in[1]};
    if (in[1] & 0x80) {
        const std::size_t n = in[1] & 0x7f;
        if (n == 0 || n > 4 || in.size() < 2 + n) return std::nullopt;  // indefinite or absurd
        tlv.length = 0;
        for (std::size_t i = 0; i < n; ++i) tlv.length = (tlv.length << 8) | in[2 + i];
        tlv.header = 2 + n;
    }
    if (tlv.length > in.size() - tlv.header) return std::nullopt;
    return tlv;
}

DerBytes content(DerBytes in, const Tlv& tlv) { return in.subspan(tlv.header, tlv.length); }

constexpr std::uint8_t sequence = 0x30;
constexpr std::uint8_t boolean = 0x01;
constexpr std::uint8_t octet_string = 0x04;
constexpr std::uint8_t object_identifier = 0x06;
constexpr std::uint8_t explicit_version = 0xa0;     // [0] EXPLICIT Version
constexpr std::uint8_t explicit_extensions = 0xa3;  // [3] EXPLICIT Extensions
constexpr std::array<std::uint8_t, 3> subject_alt_name_oid = {0x55, 0x1d, 0x11};  // 2.5.29.17

// The tbsCertificate's fields from serialNumber on.
std::optional<DerBytes> tbs_fields(DerBytes der) {
    // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber,
    //   signature, issuer, validity, subject, subjectPublicKeyInfo, ... }, ... }   (RFC 5280 4.1)
    const auto certificate = read(der);
    if (!certificate || certificate->tag != sequence) return std::nullopt;
    auto rest = content(der, *certificate);
    const auto tbs = read(rest);
    if (!tbs || tbs->tag != sequence) return std::nullopt;
    rest = content(rest, *tbs);
    if (const auto version = read(rest); version && version->tag == explicit_version)
        rest = rest.subspan(version->size());
    return rest;
}

// `fields` from its n-th element on (0: serialNumber), that element being a SEQUENCE.
std::optional<DerBytes> tbs_sequence_at(DerBytes der, int n) {
    auto rest = tbs_fields(der);
    if (!rest) return std::nullopt;
    for (int skip = 0; skip < n; ++skip) {
        const auto element = read(*rest);
        if (!element) return std::nullopt;
        *rest = rest->subspan(element->size());
    }
    const auto element = read(*rest);
    if (!element || element->tag != sequence) return std::nullopt;
    return rest;
}

// The tbsCertificate from subjectPublicKeyInfo on: the SPKI is the first element.
std::optional<DerBytes> from_spki(DerBytes der) { return tbs_sequence_at(der, 5); }

// Characters of an OID's dotted form ("1.3.6.1..."), from its content bytes (X.690 8.19).
std::size_t dotted_length(DerBytes oid) {
    std::size_t length = 0;
    std::uint64_t arc = 0;
    bool first = true;
    auto digits = [](std::uint64_t v) {
        std::size_t n = 1;
        while (v >= 10) v /= 10, ++n;
        return n;
    };
    for (const std::uint8_t byte : oid) {
        arc = (arc << 7) | (byte & 0x7f);
        if (byte & 0x80) continue;
        if (first) {  // the first subidentifier holds two arcs: 40 * a + b
            const std::uint64_t a = std::min<std::uint64_t>(arc / 40, 2);
            length += digits(a) + 1 + digits(arc - 40 * a);
            first = false;
        } else {
            length += 1 + digits(arc);
        }
        arc = 0;
    }
    return length;
}

constexpr std::uint8_t utc_time = 0x17;
constexpr std::uint8_t generalized_time = 0x18;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<std::int64_t> read_time(DerBytes in, const Tlv& tlv) {
    const DerBytes text = content(in, tlv);
    const std::size_t year_digits = tlv.tag == utc_time ? 2 : tlv.tag == generalized_time ? 4 : 0;
    if (year_digits == 0 || text.size() != year_digits + 11 || text.back() != 'Z') return std::nullopt;
    std::int64_t fields[6] = {};  // year, month, day, hour, minute, second
    std::size_t pos = 0;
    for (std::size_t f = 0; f < 6; ++f) {
        for (std::size_t n = f == 0 ? year_digits : 2; n > 0; --n, ++pos) {
            if (text[pos] < '0' || text[pos] > '9') return std::nullopt;
            fields[f] = fields[f] * 10 + (text[pos] - '0');
        }
    }
    if (year_digits == 2) fields[0] += fields[0] < 50 ? 2000 : 1900;
    if (fields[1] < 1 || fields[1] > 12 || fields[2] < 1 || fields[2] > 31 || fields[3] > 23 || fields[4] > 59 ||
        fields[5] > 60)
        return std::nullopt;
    const std::int64_t days =
        days_from_civil(fields[0], static_cast<unsigned>(fields[1]), static_cast<unsigned>(fields[2]));
    return days * 86400 + fields[3] * 3600 + fields[4] * 60 + std::min<std::int64_t>(fields[5], 59);
}

}  // namespace

std::optional<DerValidity> find_validity(DerBytes der) {
    // validity ::= SEQUENCE { notBefore Time, notAfter Time }, after serialNumber, signature, issuer
    const auto rest = tbs_sequence_at(der, 3);
    if (!rest) return std::nullopt;
    DerBytes times = content(*rest, *read(*rest));
    const auto first = read(times);
    if (!first) return std::nullopt;
    const auto not_before = read_time(times, *first);
    times = times.subspan(first->size());
    const auto second = read(times);
    if (!second || !not_before) return std::nullopt;
    const auto not_after = read_time(times, *second);
    if (!not_after) return std::nullopt;
    return DerValidity{*not_before, *not_after};
}

std::optional<DerBytes> find_spki(DerBytes der) {
    const auto rest = from_spki(der);
    if (!rest) return std::nullopt;
    return rest->first(read(*rest)->size());
}

std::optional<DerExtensions> find_extensions(DerBytes der) {
    auto rest = from_spki(der);
    if (!rest) return std::nullopt;
    DerExtensions out;
    *rest = rest->subspan(read(*rest)->size());
    // issuerUniqueID [1], subjectUniqueID [2] (either form), then [3] extensions, the last.
    while (!rest->empty()) {
        const auto element = read(*rest);
        if (!element) return std::nullopt;
        if (element->tag != explicit_extensions) {
            *rest = rest->subspan(element->size());
            continue;
        }
        const DerBytes wrapped = content(*rest, *element);
        const auto list = read(wrapped);
        if (!list || list->tag != sequence || list->size() != wrapped.size()) return std::nullopt;
        // Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
        for (DerBytes items = content(wrapped, *list); !items.empty();) {
            const auto extension = read(items);
            if (!extension || extension->tag != sequence) return std::nullopt;
            DerBytes fields = content(items, *extension);
            items = items.subspan(extension->size());
            const auto oid = read(fields);
            if (!oid || oid->tag != object_identifier) return std::nullopt;
            const DerBytes oid_bytes = content(fields, *oid);
            fields = fields.subspan(oid->size());
            auto value = read(fields);
            if (value && value->tag == boolean) {
                fields = fields.subspan(value->size());
                value = read(fields);
            }
            if (!value || value->tag != octet_string || value->size() != fields.size()) return std::nullopt;
            ++out.count;
            out.longest_oid = std::max(out.longest_oid, dotted_length(oid_bytes));
            if (!out.subject_alt_name &&
                std::ranges::equal(oid_bytes, subject_alt_name_oid))
                out.subject_alt_name = content(fields, *value);
        }
        *rest = rest->subspan(element->size());
    }
    return out;
}

namespace {

void append_element(std::vector<std::uint8_t>& out, std::uint8_t tag, DerBytes content) {
    out.push_back(tag);
    const std::size_t n = content.size();
    if (n < 0x80) {
        out.push_back(static_cast<std::uint8_t>(n));
    } else {
        unsigned bytes = 0;
        for (std::size_t v = n; v > 0; v >>= 8) ++bytes;
        out.push_back(static_cast<std::uint8_t>(0x80 | bytes));
        for (unsigned i = bytes; i-- > 0;) out.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
    }
    out.insert(out.end(), content.begin(), content.end());
}

std::vector<std::uint8_t> element(std::uint8_t tag, DerBytes content) {
    std::vector<std::uint8_t> out;
    append_element(out, tag, content);
    return out;
}

}  // namespace

std::vector<std::uint8_t> name_only_certificate(DerBytes spki, const std::vector<DerBytes>& names) {
    static constexpr std::uint8_t version_and_serial[] = {0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x01, 0x01};
    static constexpr std::uint8_t ecdsa_sha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
    static constexpr std::uint8_t empty_name[] = {0x30, 0x00};
    static constexpr std::uint8_t validity[] = {0x30, 0x1e, 0x17, 0x0d, '7', '0', '0', '1', '0', '1', '0', '0', '0',
                                                '0', '0', '0', 'Z', 0x17, 0x0d, '7', '0', '0', '1', '0', '1', '0',
                                                '0', '0', '0', '0', '0', 'Z'};
    static constexpr std::uint8_t san_oid[] = {0x06, 0x03, 0x55, 0x1d, 0x11};
    std::vector<std::uint8_t> list;
    for (const DerBytes name : names) list.insert(list.end(), name.begin(), name.end());
    std::vector<std::uint8_t> extension(std::begin(san_oid), std::end(san_oid));
    append_element(extension, octet_string, element(sequence, list));
    const auto extensions = element(explicit_extensions, element(sequence, element(sequence, extension)));

    std::vector<std::uint8_t> tbs(std::begin(version_and_serial), std::end(version_and_serial));
    for (DerBytes part : {DerBytes(ecdsa_sha256), DerBytes(empty_name), DerBytes(validity), DerBytes(empty_name), spki,
                          DerBytes(extensions)})
        tbs.insert(tbs.end(), part.begin(), part.end());
    std::vector<std::uint8_t> certificate;
    append_element(certificate, sequence, tbs);
    certificate.insert(certificate.end(), std::begin(ecdsa_sha256), std::end(ecdsa_sha256));
    static constexpr std::uint8_t no_signature[] = {0x03, 0x01, 0x00};
    certificate.insert(certificate.end(), std::begin(no_signature), std::end(no_signature));
    return element(sequence, certificate);
}

std::optional<DerAltNames> read_alt_names(DerBytes san, std::size_t keep) {
    // SubjectAltName ::= GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName, each a
    // context-specific [n] choice, IMPLICIT except directoryName [4] (RFC 5280 4.2.1.6).
    const auto list = read(san);
    if (!list || list->tag != sequence || list->size() != san.size()) return std::nullopt;
    DerAltNames out;
    for (DerBytes items = content(san, *list); !items.empty();) {
        const auto name = read(items);
        if (!name || (name->tag & 0xc0) != 0x80) return std::nullopt;
        if (out.entries.size() < keep)
            out.entries.push_back({name->tag & 0x1fu, content(items, *name), items.first(name->size())});
        ++out.count;
        items = items.subspan(name->size());
    }
    return out;
}

}  // namespace originscan::scanner
