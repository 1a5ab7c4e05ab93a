#pragma once
// Element conversion from a stored numpy dtype to a C++ element type: byte-swapping for
// big-endian data, IEEE half decoding, and range checks, because casting an out-of-range
// float to an integer is undefined behaviour in C++ (numpy silently wraps instead).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "polytag/io/dtype.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "polytag::io assumes a little-endian host");

namespace polytag::io::detail {

inline void swap_bytes_inplace(unsigned char* p, std::size_t count, std::size_t item) {
    switch (item) {
        case 2:
            for (std::size_t i = 0; i < count; ++i, p += 2) {
                std::uint16_t v;
                std::memcpy(&v, p, 2);
                v = __builtin_bswap16(v);
                std::memcpy(p, &v, 2);
            }
            break;
        case 4:
            for (std::size_t i = 0; i < count; ++i, p += 4) {
                std::uint32_t v;
                std::memcpy(&v, p, 4);
                v = __builtin_bswap32(v);
                std::memcpy(p, &v, 4);
            }
            break;
        case 8:
            for (std::size_t i = 0; i < count; ++i, p += 8) {
                std::uint64_t v;
                std::memcpy(&v, p, 8);
                v = __builtin_bswap64(v);
                std::memcpy(p, &v, 8);
            }
            break;
        default: break;
    }
}

/// IEEE 754 binary16 -> binary32, exact (subnormals, inf and NaN included).
inline float half_to_float(std::uint16_t h) {
    const std::uint32_t sign = std::uint32_t(h & 0x8000) << 16;
    const std::uint32_t exp = (h >> 10) & 0x1F;
    const std::uint32_t mant = h & 0x3FF;
    std::uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {  // subnormal: value = mant * 2^-24
            const float v = std::ldexp(float(mant), -24);
            return sign ? -v : v;
        }
    } else if (exp == 31) {
        bits = sign | 0x7F800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 112) << 23) | (mant << 13);
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

/// The IEEE half whose value f is. Exact for every float that came from a half (which is
/// all it is used for: printing float16 data); other values are truncated.
inline std::uint16_t half_bits_of(float f) {
    std::uint32_t bits;
    std::memcpy(&bits, &f, 4);
    const std::uint32_t sign = (bits >> 16) & 0x8000;
    const int exp = int((bits >> 23) & 0xFF) - 127;
    if (std::isnan(f)) return std::uint16_t(sign | 0x7E00);
    if (std::isinf(f) || exp > 15) return std::uint16_t(sign | 0x7C00);
    if (f == 0) return std::uint16_t(sign);
    if (exp < -14) return std::uint16_t(sign | std::uint32_t(std::ldexp(std::fabs(f), 24)));  // subnormal
    return std::uint16_t(sign | std::uint32_t(exp + 15) << 10 | ((bits >> 13) & 0x3FF));
}

/// Does v survive conversion to T? Floats to integers must be finite and in range after
/// truncation; integers to narrower integers must be in range. Everything to bool or to a
/// floating type is allowed (as numpy's astype).
template <typename T, typename V>
bool fits(V v) {
    if constexpr (std::is_same<T, bool>::value || std::is_floating_point<T>::value) {
        return true;
    } else if constexpr (std::is_floating_point<V>::value) {
        const V hi = std::ldexp(V(1), std::numeric_limits<T>::digits);  // max + 1, exact
        const V lo = std::is_signed<T>::value ? -hi : V(-1);            // min (exact) or -1
        return std::is_signed<T>::value ? (v >= lo && v < hi) : (v > lo && v < hi);
    } else if constexpr (std::is_signed<V>::value) {
        if (v < 0) return std::is_signed<T>::value && std::int64_t(v) >= std::int64_t(std::numeric_limits<T>::min());
        return std::uint64_t(v) <= std::uint64_t(std::numeric_limits<T>::max());
    } else {
        return std::uint64_t(v) <= std::uint64_t(std::numeric_limits<T>::max());
    }
}

template <typename T, typename V>
T cast_to(V v) {
    if constexpr (std::is_same<T, bool>::value) return v != V(0);
    else return static_cast<T>(v);
}

template <typename S>
S load_scalar(const unsigned char* p, bool swap) {
    S v;
    std::memcpy(&v, p, sizeof(S));
    if (swap) {
        unsigned char b[sizeof(S)];
        std::memcpy(b, &v, sizeof(S));
        for (std::size_t i = 0; i < sizeof(S) / 2; ++i) std::swap(b[i], b[sizeof(S) - 1 - i]);
        std::memcpy(&v, b, sizeof(S));
    }
    return v;
}

/// Converts n stored elements of type S at src into dst; returns the index of the first
/// element that does not fit T, or n.
template <typename T, typename S, typename Decode>
std::size_t convert_run(const unsigned char* src, T* dst, std::size_t n, bool swap, Decode decode) {
    bool ok = true;
    for (std::size_t i = 0; i < n; ++i) {
        const auto v = decode(load_scalar<S>(src + i * sizeof(S), swap));
        ok &= fits<T>(v);
        dst[i] = ok ? cast_to<T>(v) : T{};
    }
    if (ok) return n;
    for (std::size_t i = 0; i < n; ++i)
        if (!fits<T>(decode(load_scalar<S>(src + i * sizeof(S), swap)))) return i;
    return n;
}

/// Converts n elements of numeric dtype `d`; returns the first index that does not fit.
template <typename T>
std::size_t convert_elements(DType d, const unsigned char* src, T* dst, std::size_t n, bool swap) {
    auto same = [](auto v) { return v; };
    switch (d) {
        case DType::Bool: return convert_run<T, std::uint8_t>(src, dst, n, false, [](std::uint8_t v) { return bool(v != 0); });
        case DType::Int8: return convert_run<T, std::int8_t>(src, dst, n, false, same);
        case DType::Int16: return convert_run<T, std::int16_t>(src, dst, n, swap, same);
        case DType::Int32: return convert_run<T, std::int32_t>(src, dst, n, swap, same);
        case DType::Int64: return convert_run<T, std::int64_t>(src, dst, n, swap, same);
        case DType::UInt8: return convert_run<T, std::uint8_t>(src, dst, n, false, same);
        case DType::UInt16: return convert_run<T, std::uint16_t>(src, dst, n, swap, same);
        case DType::UInt32: return convert_run<T, std::uint32_t>(src, dst, n, swap, same);
        case DType::UInt64: return convert_run<T, std::uint64_t>(src, dst, n, swap, same);
        case DType::Float16: return convert_run<T, std::uint16_t>(src, dst, n, swap, half_to_float);
        case DType::Float32: return convert_run<T, float>(src, dst, n, swap, same);
        case DType::Float64: return convert_run<T, double>(src, dst, n, swap, same);
        default: return 0;
    }
}

/// Is T exactly the C++ type of dtype d (so the bytes can be read straight into a Tensor<T>)?
template <typename T>
bool is_native_type(DType d) {
    switch (d) {
        case DType::Bool: return std::is_same<T, bool>::value;
        case DType::Int8: return std::is_integral<T>::value && std::is_signed<T>::value && sizeof(T) == 1;
        case DType::Int16: return std::is_integral<T>::value && std::is_signed<T>::value && sizeof(T) == 2;
        case DType::Int32: return std::is_integral<T>::value && std::is_signed<T>::value && sizeof(T) == 4;
        case DType::Int64: return std::is_integral<T>::value && std::is_signed<T>::value && sizeof(T) == 8;
        case DType::UInt8: return std::is_integral<T>::value && !std::is_signed<T>::value && !std::is_same<T, bool>::value && sizeof(T) == 1;
        case DType::UInt16: return std::is_integral<T>::value && !std::is_signed<T>::value && sizeof(T) == 2;
        case DType::UInt32: return std::is_integral<T>::value && !std::is_signed<T>::value && sizeof(T) == 4;
        case DType::UInt64: return std::is_integral<T>::value && !std::is_signed<T>::value && sizeof(T) == 8;
        case DType::Float32: return std::is_same<T, float>::value;
        case DType::Float64: return std::is_same<T, double>::value;
        default: return false;
    }
}

}  // namespace polytag::io::detail
