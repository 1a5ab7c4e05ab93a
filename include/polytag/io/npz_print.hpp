#pragma once
// Text views of .npz archives and .npy files, as the polytag-npz tool prints them: one
// "NAME<TAB>DTYPE<TAB>SHAPE" line per array (unsupported arrays marked, not hidden), and
// the first K elements of one array in row-major order, numbers in shortest round-trip form
// as Python prints them (0.5, 0.81665, 1e-05, 1e+16, 3.0), bools as True/False, strings as
// they are. The head reads only the elements it prints.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "polytag/io/npy.hpp"
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

/// An .npz archive or a single .npy file, recognised by its first bytes (not its name), as
/// polytag-npz shows them: a .npy file is one array named after its file, without ".npy".
class ArrayFile {
public:
    explicit ArrayFile(const std::string& path) : path_(path) {
        if (starts_with_npy_magic(path)) {
            std::string base = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
            if (base.size() > 4 && base.compare(base.size() - 4, 4, ".npy") == 0) base.resize(base.size() - 4);
            npy_name_ = base;
        } else {
            npz_ = std::make_unique<NpzReader>(path);
        }
    }
    bool is_npy() const { return !npz_; }
    const std::string& path() const { return path_; }
    std::vector<std::string> names() const { return npz_ ? npz_->names() : std::vector<std::string>{npy_name_}; }
    /// The array's .npy stream at its start. A .npy file answers to its name with or without ".npy".
    std::unique_ptr<detail::ByteSource> open(const std::string& name) const {
        if (npz_) return npz_->open_stream(name);
        if (name != npy_name_ && name != npy_name_ + ".npy")
            throw IoError(path_ + ": no array named '" + name + "' (a .npy file holds one array, '" + npy_name_ + "')");
        return std::make_unique<detail::FileSource>(path_);
    }

private:
    static bool starts_with_npy_magic(const std::string& path) {
        std::FILE* f = std::fopen(path.c_str(), "rb");
        if (!f) return false;  // NpzReader then says why it cannot be opened
        char magic[detail::kNpyMagicLen] = {};
        const bool npy = std::fread(magic, 1, sizeof magic, f) == sizeof magic &&
                         std::memcmp(magic, detail::kNpyMagic, detail::kNpyMagicLen) == 0;
        std::fclose(f);
        return npy;
    }

    std::string path_, npy_name_;
    std::unique_ptr<NpzReader> npz_;
};

namespace detail {

/// Why a dtype polytag does not read is refused, in numpy's words.
inline std::string unsupported_reason(const std::string& descr, const std::string& parser_reason) {
    const char kind = descr.size() >= 2 ? descr[1] : '\0';
    const std::string bits = descr.size() > 2 ? std::to_string(std::atoi(descr.c_str() + 2) * 8) : "";
    if (kind == 'c') return "complex" + bits + ": complex numbers are not supported";
    if (kind == 'M') return "datetime64: dates are not supported";
    if (kind == 'm') return "timedelta64: durations are not supported";
    if (kind == 'V') return "void: raw and structured records are not supported";
    return parser_reason;
}

/// The listing line of one array; `ok` false when its header is refused.
inline std::string listing_line(const std::string& name, ByteSource& src, bool& ok) {
    ArrayInfo partial;
    try {
        const ArrayInfo info = read_npy_header(src, &partial);
        ok = true;
        return name + "\t" + info.numpy_name() + "\t" + shape_csv(info.shape);
    } catch (const IoError& e) {
        ok = false;
        std::string why = e.what();
        for (const std::string& prefix : {src.context() + ": ", std::string(".npy header: ")})
            if (why.compare(0, prefix.size(), prefix) == 0) why.erase(0, prefix.size());
        const std::string descr = partial.descr.empty() ? "?" : partial.descr;
        return name + "\t" + descr + "\tunsupported: " + unsupported_reason(partial.descr, why);
    }
}

/// The first n elements (n <= the array's) in row-major order as stored bytes, read without
/// holding more of the stream than that: C order reads the first n items; Fortran order
/// streams past the rest with a small buffer, keeping only the items wanted.
inline std::vector<unsigned char> first_items(ByteSource& src, const ArrayInfo& info, std::size_t n) {
    const std::size_t item = info.item_size;
    std::vector<unsigned char> raw(n * item);
    if (n == 0) return raw;
    if (!info.fortran_order || info.shape.size() < 2) {
        src.read_exact(raw.data(), std::uint64_t(n) * item, "array data");
        return raw;
    }
    // Row-major index -> column-major item offset, visited in file order.
    std::vector<std::pair<std::uint64_t, std::size_t>> wanted(n);
    for (std::size_t r = 0; r < n; ++r) {
        std::uint64_t rest = r, offset = 0, stride = 1;
        std::vector<std::uint64_t> idx(info.shape.size());
        for (std::size_t d = info.shape.size(); d-- > 0;) {
            idx[d] = rest % std::uint64_t(info.shape[d]);
            rest /= std::uint64_t(info.shape[d]);
        }
        for (std::size_t d = 0; d < info.shape.size(); ++d) {
            offset += idx[d] * stride;
            stride *= std::uint64_t(info.shape[d]);
        }
        wanted[r] = {offset, r};
    }
    std::sort(wanted.begin(), wanted.end());
    std::vector<unsigned char> skip(1 << 16);
    std::uint64_t at = 0;  // items consumed
    for (const auto& [offset, r] : wanted) {
        for (std::uint64_t gap = (offset - at) * item; gap > 0;) {
            const std::uint64_t k = std::min<std::uint64_t>(gap, skip.size());
            src.read_exact(skip.data(), k, "array data");
            gap -= k;
        }
        src.read_exact(raw.data() + r * item, item, "array data");
        at = offset + 1;
    }
    return raw;
}

template <typename T, typename Format>
void format_items(const ByteSource& src, const ArrayInfo& info, const std::vector<unsigned char>& raw, std::size_t n,
                  std::vector<std::string>& out, Format&& fmt) {
    std::vector<T> values(n);
    const std::size_t bad = convert_elements<T>(info.dtype, raw.data(), values.data(), n, info.big_endian);
    if (bad != n) src.fail(info.numpy_name() + " element " + std::to_string(bad) + " cannot be printed");
    for (const T& v : values) out.push_back(fmt(v));
}

}  // namespace detail

/// The first k elements of the array in `src` (a .npy stream at its start) in row-major order,
/// one string each. Numeric and fixed-width string arrays read only the bytes printed, in the
/// stored type (a 1 GiB array costs what its first k elements do); an object array is
/// unpickled whole, as it must be. The entry's CRC is checked only when it is read to its end.
inline std::vector<std::string> array_head(detail::ByteSource& src, std::size_t k) {
    const ArrayInfo info = detail::read_npy_header(src);
    std::vector<std::string> out;
    if (info.dtype == DType::Object) {
        auto s = detail::read_npy_strings(src, info);
        if (s.size() > k) s.resize(k);
        return s;
    }
    const std::size_t n = std::size_t(std::min<std::uint64_t>(k, info.element_count()));
    const std::vector<unsigned char> raw = detail::first_items(src, info, n);
    switch (info.dtype) {
        case DType::Unicode:
        case DType::Bytes:
            for (std::size_t i = 0; i < n; ++i) {
                const unsigned char* p = raw.data() + i * info.item_size;
                std::string v;
                if (info.dtype == DType::Unicode) {
                    if (!detail::utf32_to_utf8(p, info.item_size / 4, info.big_endian, v))
                        src.fail("element " + std::to_string(i) + " is not valid UTF-32");
                } else {
                    std::size_t len = info.item_size;
                    while (len > 0 && p[len - 1] == 0) --len;  // numpy drops trailing NULs
                    v.assign(reinterpret_cast<const char*>(p), len);
                }
                out.push_back(std::move(v));
            }
            break;
        case DType::Bool:
            for (std::size_t i = 0; i < n; ++i) out.push_back(raw[i] ? "True" : "False");
            break;
        case DType::Float16:  // halves convert to float exactly, and back
            detail::format_items<float>(src, info, raw, n, out, [](float f) { return repr_half(detail::half_bits_of(f)); });
            break;
        case DType::Float32: detail::format_items<float>(src, info, raw, n, out, [](float f) { return repr_number(f); }); break;
        case DType::Float64: detail::format_items<double>(src, info, raw, n, out, [](double d) { return repr_number(d); }); break;
        case DType::UInt8:
        case DType::UInt16:
        case DType::UInt32:
        case DType::UInt64:
            detail::format_items<std::uint64_t>(src, info, raw, n, out, [](std::uint64_t v) { return std::to_string(v); });
            break;
        default:
            detail::format_items<std::int64_t>(src, info, raw, n, out, [](std::int64_t v) { return std::to_string(v); });
            break;
    }
    return out;
}

/// One "NAME\tDTYPE\tSHAPE" line per array, in archive order. An array polytag cannot read
/// is still listed, as "NAME\tDESCR\tunsupported: REASON" (DESCR: the numpy dtype string it
/// was stored with), and counted in `*unsupported`; the other arrays are listed all the same.
inline std::vector<std::string> array_listing(const ArrayFile& file, std::size_t* unsupported = nullptr) {
    std::vector<std::string> lines;
    std::size_t refused = 0;
    for (const std::string& name : file.names()) {
        bool ok = false;
        lines.push_back(detail::listing_line(name, *file.open(name), ok));
        refused += !ok;
    }
    if (unsupported) *unsupported = refused;
    return lines;
}

inline std::vector<std::string> npz_listing(const NpzReader& npz, std::size_t* unsupported = nullptr) {
    std::vector<std::string> lines;
    std::size_t refused = 0;
    for (const std::string& name : npz.names()) {
        bool ok = false;
        lines.push_back(detail::listing_line(name, *npz.open_stream(name), ok));
        refused += !ok;
    }
    if (unsupported) *unsupported = refused;
    return lines;
}

/// The first k elements of an array in row-major order, one string each (see array_head).
inline std::vector<std::string> npz_head(const NpzReader& npz, const std::string& name, std::size_t k) {
    return array_head(*npz.open_stream(name), k);
}
inline std::vector<std::string> npz_head(const ArrayFile& file, const std::string& name, std::size_t k) {
    return array_head(*file.open(name), k);
}

}  // namespace polytag::io
