#pragma once
// The .npy header: magic, version (1.0, 2.0, 3.0), little-endian length, then a Python
// dict literal {'descr': ..., 'fortran_order': ..., 'shape': (...), } padded with spaces.
// The parser accepts only that literal grammar (no eval); the writer reproduces
// numpy 1.24's bytes exactly (64-byte alignment and room for the shape to grow).
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "polytag/io/dtype.hpp"

namespace polytag::io::detail {

constexpr char kNpyMagic[] = "\x93NUMPY";
constexpr std::size_t kNpyMagicLen = 6;
// numpy refuses headers above 10000 bytes by default; leave room but stay small.
constexpr std::size_t kMaxNpyHeader = 1 << 20;

/// A cursor over the header dict text; every method fails by returning false.
class HeaderDictParser {
public:
    explicit HeaderDictParser(const std::string& s) : s_(s) {}

    bool parse(ArrayInfo& info, std::string& why) {
        bool have_descr = false, have_order = false, have_shape = false;
        skip_ws();
        if (!eat('{')) return fail(why, "header is not a dict");
        for (;;) {
            skip_ws();
            if (eat('}')) break;
            std::string key;
            if (!string_literal(key)) return fail(why, "header dict key is not a string");
            skip_ws();
            if (!eat(':')) return fail(why, "header dict has no ':' after '" + key + "'");
            skip_ws();
            if (key == "descr") {
                if (have_descr) return fail(why, "header repeats 'descr'");
                std::string descr;
                if (!string_literal(descr)) return fail(why, "'descr' is not a plain dtype string (structured dtypes are not supported)");
                info.descr = descr;  // kept on failure too: a listing shows what the dtype was
                if (!parse_descr(descr, info, why)) return false;
                have_descr = true;
            } else if (key == "fortran_order") {
                if (have_order) return fail(why, "header repeats 'fortran_order'");
                if (word("True")) info.fortran_order = true;
                else if (word("False")) info.fortran_order = false;
                else return fail(why, "'fortran_order' is not True or False");
                have_order = true;
            } else if (key == "shape") {
                if (have_shape) return fail(why, "header repeats 'shape'");
                if (!shape_tuple(info, why)) return false;
                have_shape = true;
            } else {
                return fail(why, "header has unknown key '" + key + "'");
            }
            skip_ws();
            if (eat(',')) continue;
            skip_ws();
            if (eat('}')) break;
            return fail(why, "header dict is malformed after '" + key + "'");
        }
        skip_ws();
        if (pos_ != s_.size()) return fail(why, "header has text after the dict");
        if (!have_descr || !have_order || !have_shape)
            return fail(why, std::string("header lacks '") + (!have_descr ? "descr" : !have_order ? "fortran_order" : "shape") + "'");
        return true;
    }

private:
    static bool fail(std::string& why, const std::string& what) {
        why = what;
        return false;
    }
    void skip_ws() {
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
    }
    bool eat(char c) {
        if (pos_ < s_.size() && s_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    bool word(const char* w) {
        const std::size_t n = std::strlen(w);
        if (s_.compare(pos_, n, w) != 0) return false;
        pos_ += n;
        return true;
    }
    bool string_literal(std::string& out) {
        if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"')) return false;
        const char q = s_[pos_++];
        const std::size_t end = s_.find(q, pos_);
        if (end == std::string::npos || end - pos_ > 64) return false;
        out = s_.substr(pos_, end - pos_);
        if (out.find('\\') != std::string::npos) return false;
        pos_ = end + 1;
        return true;
    }
    bool shape_tuple(ArrayInfo& info, std::string& why) {
        if (!eat('(')) return fail(why, "'shape' is not a tuple");
        info.shape.clear();
        std::uint64_t count = 1;
        bool comma_after_first = false;
        const std::uint64_t kMax = std::uint64_t(std::numeric_limits<Index>::max());
        for (;;) {
            skip_ws();
            if (eat(')')) break;
            if (pos_ < s_.size() && s_[pos_] == '-') return fail(why, "'shape' has a negative extent");
            if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9') return fail(why, "'shape' holds a non-integer");
            std::uint64_t d = 0;
            while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
                d = d * 10 + std::uint64_t(s_[pos_++] - '0');
                if (d > kMax / 10) return fail(why, "'shape' extent overflows");
            }
            eat('L');  // Python 2 longs
            if (info.shape.size() >= 32) return fail(why, "'shape' has more than 32 axes");
            if (d != 0 && count > kMax / d) return fail(why, "'shape' element count overflows");
            count *= d;
            info.shape.push_back(Index(d));
            skip_ws();
            if (eat(',')) {
                if (info.shape.size() == 1) comma_after_first = true;
                continue;
            }
            skip_ws();
            if (eat(')')) break;
            return fail(why, "'shape' tuple is malformed");
        }
        // "(5)" is an int in Python, not a tuple; numpy never writes it.
        if (info.shape.size() == 1 && !comma_after_first) return fail(why, "'shape' is not a tuple");
        return true;
    }

    const std::string& s_;
    std::size_t pos_ = 0;
};

/// Bytes of array data the header declares, or false when that overflows 2^63.
inline bool data_bytes(const ArrayInfo& info, std::uint64_t& out) {
    if (info.dtype == DType::Object) return false;
    std::uint64_t n = info.element_count();
    if (info.item_size && n > std::uint64_t(std::numeric_limits<Index>::max()) / info.item_size) return false;
    out = n * info.item_size;
    return true;
}

/// The full header numpy 1.24 writes for `info`: magic, version, length, dict, padding, '\n'.
inline std::string format_npy_header(const ArrayInfo& info) {
    std::string shape = info.shape_str();
    std::string dict = "{'descr': '" + info.descr + "', 'fortran_order': " + (info.fortran_order ? "True" : "False") +
                       ", 'shape': " + shape + ", }";
    // numpy leaves room to grow the leading (C order) axis in place up to 21 digits.
    if (!info.shape.empty()) {
        const Index growth_axis = info.fortran_order ? info.shape.back() : info.shape.front();
        const std::size_t digits = std::to_string(growth_axis).size();
        if (digits < 21) dict.append(21 - digits, ' ');
    }
    const std::size_t hlen = dict.size() + 1;
    std::size_t prefix = kNpyMagicLen + 2 + 2;
    bool v2 = false;
    std::size_t pad = 64 - (prefix + hlen) % 64;
    if (hlen + pad > 65535) {
        v2 = true;
        prefix = kNpyMagicLen + 2 + 4;
        pad = 64 - (prefix + hlen) % 64;
    }
    std::string out(kNpyMagic, kNpyMagicLen);
    out += char(v2 ? 2 : 1);
    out += char(0);
    const std::uint32_t len = std::uint32_t(hlen + pad);
    out += char(len & 0xff);
    out += char((len >> 8) & 0xff);
    if (v2) {
        out += char((len >> 16) & 0xff);
        out += char((len >> 24) & 0xff);
    }
    out += dict;
    out.append(pad, ' ');
    out += '\n';
    return out;
}

}  // namespace polytag::io::detail
