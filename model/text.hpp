// One escaping policy for text that comes from outside (certificate subjects, issuers and
// SANs, HTTP status lines, alert and error details, origin lists, baseline and rules files)
// wherever a person or a line-based tool reads it: the terminal summary, JUnit text and
// attributes, error messages. Such text is shown inert: it cannot move the cursor, set a
// window title, forge a line of its own, or reorder what a person sees.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace originscan {

// One step of strict UTF-8 decoding (RFC 3629: no overlong forms, no surrogates, at most
// U+10FFFF). `length` is at least 1; `valid` false means s[pos] is a stray byte.
struct Utf8Step {
    char32_t code_point = 0;
    std::size_t length = 1;
    bool valid = false;
};
Utf8Step decode_utf8(std::string_view s, std::size_t pos);

// Bidirectional formatting characters (U+061C, U+200E/F, U+202A..E, U+2066..9): they reorder
// what a person sees ("Trojan Source", CVE-2021-42574).
bool is_bidi_control(char32_t code_point);

// What inert() never lets through raw: C0 controls (tab, LF and CR included), DEL, C1
// controls (U+0085 NEL among them), U+2028 and U+2029 (line and paragraph separators, which
// some readers break lines at), the bidi controls, and the non-characters U+FFFE and U+FFFF.
bool is_unsafe_code_point(char32_t code_point);

// utf8: printable UTF-8 is kept. ascii: every byte from 0x80 is shown as \xNN, for messages
// about bytes (an origin spec must be ASCII).
enum class Charset { utf8, ascii };

// `text` made inert: unsafe code points as \xNN (below U+0080) or \uNNNN, bytes that are not
// UTF-8 as \xNN, a backslash as \\ (so that every escape is unambiguous); the rest kept.
// Not idempotent (backslashes double): apply it once, where text meets its output.
std::string inert(std::string_view text, Charset charset = Charset::utf8);

// For messages: inert(text) in double quotes, a double quote as \", at most `max_bytes` of
// the input (then "..."; never cutting a UTF-8 sequence).
std::string inert_quoted(std::string_view text, std::size_t max_bytes = 200, Charset charset = Charset::utf8);

}  // namespace originscan
