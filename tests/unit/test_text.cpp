// model/text: the one escaping policy for text from outside.
#include <catch2/catch.hpp>

#include <string>

#include "model/text.hpp"
#include "report_fixture.hpp"  // shows_nothing_raw

using namespace originscan;
using originscan::testing::shows_nothing_raw;

namespace {

std::string utf8(char32_t cp) {
    std::string out;
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return out;
}

}  // namespace

TEST_CASE("text: inert", "[text]") {
    struct Case {
        std::string in, out;
    };
    const Case cases[] = {
        {"api.example.com", "api.example.com"},
        {"", ""},
        {"a\x1b[31mred", "a\\x1b[31mred"},
        {"title\x1b]0;pwned\x07", "title\\x1b]0;pwned\\x07"},
        {"tab\there\nnl\r", "tab\\x09here\\x0anl\\x0d"},
        {"CN=x\nclass: ca-trusted", "CN=x\\x0aclass: ca-trusted"},
        {std::string("nul\0x", 5), "nul\\x00x"},
        {"del\x7f", "del\\x7f"},
        {"back\\slash", "back\\\\slash"},
        {"\\x41 is not A", "\\\\x41 is not A"},
        {"quote\"kept", "quote\"kept"},
        {"bad\xff\xfe", "bad\\xff\\xfe"},
        {"overlong\xc0\xaf", "overlong\\xc0\\xaf"},
        {"surrogate\xed\xa0\x80", "surrogate\\xed\\xa0\\x80"},
        {"cut\xe2\x82", "cut\\xe2\\x82"},
        {"c1\xc2\x9b", "c1\\u009b"},
        {"nel\xc2\x85", "nel\\u0085"},
        {"ls\xe2\x80\xa8ps\xe2\x80\xa9", "ls\\u2028ps\\u2029"},
        {"bidi\xe2\x80\xae", "bidi\\u202e"},
        {"nonchar\xef\xbf\xbe\xef\xbf\xbf", "nonchar\\ufffe\\uffff"},
        {"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x94\x92", "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x94\x92"},
    };
    for (const Case& c : cases) {
        INFO(c.out);
        CHECK(inert(c.in) == c.out);
        CHECK(shows_nothing_raw(inert(c.in), false));
    }
}

TEST_CASE("text: inert lets no unsafe code point and no stray byte through", "[text]") {
    std::size_t unsafe = 0;
    for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        const std::string in = utf8(cp);
        const std::string out = inert(in);
        if (!shows_nothing_raw(out, false)) FAIL("U+" << std::hex << static_cast<unsigned>(cp) << " passed through");
        if (is_unsafe_code_point(cp)) {
            ++unsafe;
            CHECK(out[0] == '\\');
        } else if (cp != '\\') {
            if (out != in) FAIL("U+" << std::hex << static_cast<unsigned>(cp) << " was changed");
        }
    }
    CHECK(unsafe == 0x20 + 0x21 + 2 + 12 + 2);  // C0, DEL + C1, U+2028/9, bidi, U+FFFE/F
    for (int byte = 0x80; byte <= 0xFF; ++byte) CHECK(shows_nothing_raw(inert(std::string(1, static_cast<char>(byte))), false));
}

TEST_CASE("text: ascii charset shows every byte beyond ASCII", "[text]") {
    CHECK(inert("b\xc3\xbc" "cher", Charset::ascii) == "b\\xc3\\xbccher");
    CHECK(inert("e\x1b\xff", Charset::ascii) == "e\\x1b\\xff");
    CHECK(inert("plain", Charset::ascii) == "plain");
}

TEST_CASE("text: inert_quoted", "[text]") {
    CHECK(inert_quoted("x") == "\"x\"");
    CHECK(inert_quoted("say \"hi\"\n") == "\"say \\\"hi\\\"\\x0a\"");
    CHECK(inert_quoted("\x1b]0;t\x07") == "\"\\x1b]0;t\\x07\"");
    CHECK(inert_quoted("abcdef", 3) == "\"abc...\"");
    // never cuts a UTF-8 sequence: é is two bytes
    CHECK(inert_quoted("a\xc3\xa9z", 2) == "\"a...\"");
    CHECK(inert_quoted("a\xc3\xa9z", 3) == "\"a\xc3\xa9...\"");
    CHECK(inert_quoted("b\xc3\xbc", 64, Charset::ascii) == "\"b\\xc3\\xbc\"");
}
