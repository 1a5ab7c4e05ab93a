#pragma once
// Strict UTF-8 validation and the UTF-32 -> UTF-8 conversion numpy's '<U' arrays need.
// Overlong forms, surrogates and code points above U+10FFFF are refused.
#include <cstdint>
#include <cstring>
#include <string>

namespace polytag::io::detail {

/// Appends code point cp as UTF-8; false if cp is a surrogate or beyond U+10FFFF.
inline bool append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        if (cp >= 0xD800 && cp <= 0xDFFF) return false;
        out += char(0xE0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    } else if (cp <= 0x10FFFF) {
        out += char(0xF0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    } else {
        return false;
    }
    return true;
}

/// Decodes the next code point of s at i (advancing i); false on invalid UTF-8.
inline bool next_utf8(const std::string& s, std::size_t& i, std::uint32_t& cp) {
    const auto b = [&](std::size_t k) { return std::uint32_t(static_cast<unsigned char>(s[k])); };
    const std::uint32_t c0 = b(i);
    std::size_t len;
    std::uint32_t min;
    if (c0 < 0x80) {
        cp = c0;
        ++i;
        return true;
    } else if ((c0 & 0xE0) == 0xC0) {
        len = 2, cp = c0 & 0x1F, min = 0x80;
    } else if ((c0 & 0xF0) == 0xE0) {
        len = 3, cp = c0 & 0x0F, min = 0x800;
    } else if ((c0 & 0xF8) == 0xF0) {
        len = 4, cp = c0 & 0x07, min = 0x10000;
    } else {
        return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
        const std::uint32_t c = b(i + k);
        if ((c & 0xC0) != 0x80) return false;
        cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
    return true;
}

inline bool valid_utf8(const std::string& s) {
    std::size_t i = 0;
    std::uint32_t cp;
    while (i < s.size())
        if (!next_utf8(s, i, cp)) return false;
    return true;
}

/// One '<U' element (item_size / 4 code units, trailing NULs dropped as numpy does) as
/// UTF-8; false on an invalid code point.
inline bool utf32_to_utf8(const unsigned char* p, std::size_t units, bool big_endian, std::string& out) {
    out.clear();
    while (units > 0) {
        const unsigned char* q = p + 4 * (units - 1);
        if (q[0] | q[1] | q[2] | q[3]) break;
        --units;
    }
    for (std::size_t k = 0; k < units; ++k, p += 4) {
        const std::uint32_t cp = big_endian ? (std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3])
                                            : (std::uint32_t(p[3]) << 24 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[1]) << 8 | p[0]);
        if (!append_utf8(out, cp)) return false;
    }
    return true;
}

}  // namespace polytag::io::detail
