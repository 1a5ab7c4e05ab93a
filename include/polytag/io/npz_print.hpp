#pragma once
// Text views of .npz contents, as the polytag-npz tool prints them: one
// "NAME<TAB>DTYPE<TAB>SHAPE" line per array, and the first K elements of one array in
// row-major order, numbers in shortest round-trip form as Python prints them
// (0.5, 0.81665, 1e-05, 1e+16, 3.0), bools as True/False, strings as they are.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "polytag/io/npz.hpp"

namespace polytag::io {

namespace detail {

/// Python's repr layout for a number given in C's shortest scientific form ("-1.25e-05").
inline std::string python_float_layout(const std::string& sci) {
    std::string sign, digits;
    std::size_t i = 0;
    if (i < sci.size() && sci[i] == '-') sign = "-", ++i;
    for (; i < sci.size() && sci[i] != 'e'; ++i)
        if (sci[i] != '.') digits += sci[i];
    const int exp = i < sci.size() ? std::atoi(sci.c_str() + i + 1) : 0;
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
    const int n = int(digits.size());
    if (exp >= -4 && exp < 16) {
        if (exp < 0) return sign + "0." + std::string(std::size_t(-exp - 1), '0') + digits;
        std::string whole = n > exp + 1 ? digits.substr(0, std::size_t(exp + 1)) : digits + std::string(std::size_t(exp + 1 - n), '0');
        std::string frac = n > exp + 1 ? digits.substr(std::size_t(exp + 1)) : "0";
        return sign + whole + "." + frac;
    }
    std::string out = sign + digits.substr(0, 1);
    if (n > 1) out += "." + digits.substr(1);
    char e[16];
    std::snprintf(e, sizeof e, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    return out + e;
}

template <typename F>
std::string special_float(F v) {
    if (std::isnan(v)) return "nan";
    return v > 0 ? "inf" : "-inf";
}

}  // namespace detail

/// Shortest round-trip text of a float64, float32 (shortest among floats) as Python repr lays it out.
inline std::string repr_number(double v) {
    if (!std::isfinite(v)) return detail::special_float(v);
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    return detail::python_float_layout(std::string(buf, r.ptr));
}
inline std::string repr_number(float v) {
    if (!std::isfinite(v)) return detail::special_float(v);
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    return detail::python_float_layout(std::string(buf, r.ptr));
}

/// Shortest text that reads back as the same IEEE half (numpy prints np.float16(0.1) as 0.1).
inline std::string repr_half(std::uint16_t h) {
    const float v = detail::half_to_float(h);
    if (!std::isfinite(v)) return detail::special_float(v);
    const std::string sign = (h & 0x8000) ? "-" : "";
    const std::uint16_t a = h & 0x7FFF;
    if (a == 0) return sign + "0.0";
    const double av = detail::half_to_float(a);
    // Decimal d reads back as this half iff it lies between the midpoints to its neighbours
    // (ties go to the even one).
    const double lo = (double(detail::half_to_float(std::uint16_t(a - 1))) + av) / 2;
    const double hi = a == 0x7BFF ? 65520.0 : (double(detail::half_to_float(std::uint16_t(a + 1))) + av) / 2;
    char buf[64];
    for (int p = 1; p <= 17; ++p) {
        std::snprintf(buf, sizeof buf, "%.*e", p - 1, av);
        const double d = std::strtod(buf, nullptr);
        if ((d > lo && d < hi) || ((d == lo || d == hi) && (a & 1) == 0)) break;
    }
    return sign + detail::python_float_layout(buf);
}

/// "20000,10,128"; empty for a 0-d array.
inline std::string shape_csv(const std::vector<Index>& shape) {
    std::string s;
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
    return s;
}

/// One "NAME\tDTYPE\tSHAPE" line per array, in archive order.
inline std::vector<std::string> npz_listing(const NpzReader& npz) {
    std::vector<std::string> lines;
    for (const std::string& name : npz.names()) {
        const ArrayInfo info = npz.info(name);
        lines.push_back(name + "\t" + info.numpy_name() + "\t" + shape_csv(info.shape));
    }
    return lines;
}

/// The first k elements of an array in row-major order, one string each.
inline std::vector<std::string> npz_head(const NpzReader& npz, const std::string& name, std::size_t k) {
    const ArrayInfo info = npz.info(name);
    std::vector<std::string> out;
    auto take = [&](const auto& t, auto&& fmt) {
        for (Index i = 0; i < t.size() && out.size() < k; ++i) out.push_back(fmt(t[i]));
    };
    switch (info.dtype) {
        case DType::Unicode:
        case DType::Bytes:
        case DType::Object: {
            auto s = npz.read_strings(name);
            if (s.size() > k) s.resize(k);
            return s;
        }
        case DType::Bool: take(npz.read<bool>(name), [](bool b) { return std::string(b ? "True" : "False"); }); break;
        case DType::Float16:  // halves convert to float exactly, and back
            take(npz.read<float>(name), [](float f) { return repr_half(detail::half_bits_of(f)); });
            break;
        case DType::Float32: take(npz.read<float>(name), [](float f) { return repr_number(f); }); break;
        case DType::Float64: take(npz.read<double>(name), [](double d) { return repr_number(d); }); break;
        case DType::UInt8:
        case DType::UInt16:
        case DType::UInt32:
        case DType::UInt64: take(npz.read<std::uint64_t>(name), [](std::uint64_t v) { return std::to_string(v); }); break;
        default: take(npz.read<std::int64_t>(name), [](std::int64_t v) { return std::to_string(v); }); break;
    }
    return out;
}

}  // namespace polytag::io
