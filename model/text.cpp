#include "model/text.hpp"

#include <cstdio>

namespace originscan {
namespace {

void append_escape(std::string& out, const char* format, unsigned value) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, format, value);
    out += buffer;
}

void append_inert(std::string& out, std::string_view text, Charset charset, bool escape_quote) {
    out.reserve(out.size() + text.size());
    for (std::size_t i = 0; i < text.size();) {
        const Utf8Step step = decode_utf8(text, i);
        const char32_t cp = step.code_point;
        if (!step.valid || (charset == Charset::ascii && cp >= 0x80)) {
            for (std::size_t b = 0; b < step.length; ++b)
                append_escape(out, "\\x%02x", static_cast<unsigned char>(text[i + b]));
        } else if (cp < 0x80 && is_unsafe_code_point(cp)) {
            append_escape(out, "\\x%02x", static_cast<unsigned>(cp));
        } else if (is_unsafe_code_point(cp)) {
            append_escape(out, "\\u%04x", static_cast<unsigned>(cp));
        } else if (cp == '\\' || (escape_quote && cp == '"')) {
            out += '\\';
            out += static_cast<char>(cp);
        } else {
            out.append(text.substr(i, step.length));
        }
        i += step.length;
    }
}

}  // namespace

Utf8Step decode_utf8(std::string_view s, std::size_t pos) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char lead = byte(pos);
    if (lead < 0x80) return {lead, 1, true};
    std::size_t length = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2, cp = lead & 0x1F, min = 0x80;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3, cp = lead & 0x0F, min = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4, cp = lead & 0x07, min = 0x10000;
    } else {
        return {};
    }
    if (pos + length > s.size()) return {};
    for (std::size_t i = 1; i < length; ++i) {
        const unsigned char next = byte(pos + i);
        if ((next & 0xC0) != 0x80) return {};
        cp = (cp << 6) | (next & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {};
    return {cp, length, true};
}

bool is_bidi_control(char32_t cp) {
    return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

bool is_unsafe_code_point(char32_t cp) {
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 || cp == 0xFFFE ||
           cp == 0xFFFF || is_bidi_control(cp);
}

std::string inert(std::string_view text, Charset charset) {
    std::string out;
    append_inert(out, text, charset, false);
    return out;
}

std::string inert_quoted(std::string_view text, std::size_t max_bytes, Charset charset) {
    std::size_t end = 0;
    while (end < text.size()) {
        const std::size_t next = end + decode_utf8(text, end).length;
        if (next > max_bytes) break;
        end = next;
    }
    std::string out = "\"";
    append_inert(out, text.substr(0, end), charset, true);
    if (end < text.size()) out += "...";
    return out + "\"";
}

}  // namespace originscan
