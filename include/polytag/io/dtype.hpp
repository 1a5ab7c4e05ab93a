#pragma once
// NumPy dtypes polytag reads and writes, and ArrayInfo: what a .npy header says about
// an array (dtype, shape, memory order) before any of its data is read.
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "polytag/error.hpp"
#include "polytag/tensor/shape.hpp"

namespace polytag::io {

enum class DType { Bool, Int8, Int16, Int32, Int64, UInt8, UInt16, UInt32, UInt64, Float16, Float32, Float64, Unicode, Bytes, Object };

/// True for the dtypes that convert to a numeric Tensor.
inline bool is_numeric(DType d) { return d != DType::Unicode && d != DType::Bytes && d != DType::Object; }

/// What a .npy header says about its array.
struct ArrayInfo {
    DType dtype = DType::Float64;
    std::string descr;               ///< numpy descr as written, e.g. "<f8", "|u1", ">i4", "<U11", "|O"
    std::vector<Index> shape;        ///< any rank; empty for a 0-d array
    bool fortran_order = false;      ///< data on disk is column-major (readers return row-major)
    std::size_t item_size = 0;       ///< bytes per element (4 * length for <U, 8 for O)
    bool big_endian = false;         ///< descr starts with '>' on a multi-byte type

    /// Number of elements (1 for a 0-d array). Checked against overflow when the header is parsed.
    std::uint64_t element_count() const {
        std::uint64_t n = 1;
        for (Index d : shape) n *= std::uint64_t(d);
        return n;
    }
    /// numpy's name for the dtype: "uint8", "float64", "bool", "object", "<U11", "|S5".
    std::string numpy_name() const;
    /// Shape as numpy prints it: "(20000, 10, 128)", "(5,)", "()".
    std::string shape_str() const {
        std::string s = "(";
        for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
        return s + (shape.size() == 1 ? ",)" : ")");
    }
};

namespace detail {

inline const char* dtype_name(DType d) {
    switch (d) {
        case DType::Bool: return "bool";
        case DType::Int8: return "int8";
        case DType::Int16: return "int16";
        case DType::Int32: return "int32";
        case DType::Int64: return "int64";
        case DType::UInt8: return "uint8";
        case DType::UInt16: return "uint16";
        case DType::UInt32: return "uint32";
        case DType::UInt64: return "uint64";
        case DType::Float16: return "float16";
        case DType::Float32: return "float32";
        case DType::Float64: return "float64";
        case DType::Unicode: return "str";
        case DType::Bytes: return "bytes";
        case DType::Object: return "object";
    }
    return "?";
}

/// Parses a numpy descr ("<f8", "|b1", ">U7", "|O") into dtype, item size and byte order.
/// Returns false (leaving `why` set) for anything polytag does not support.
inline bool parse_descr(const std::string& descr, ArrayInfo& info, std::string& why) {
    if (descr.size() < 2) {
        why = "dtype '" + descr + "' is too short";
        return false;
    }
    const char order = descr[0];
    if (order != '<' && order != '>' && order != '|' && order != '=') {
        why = "dtype '" + descr + "' has no byte-order character";
        return false;
    }
    const char kind = descr[1];
    const std::string digits = descr.substr(2);
    std::size_t size = 0;
    if (kind == 'O') {
        if (!digits.empty() && digits != "8") {
            why = "dtype '" + descr + "' is not a 64-bit object dtype";
            return false;
        }
        info.dtype = DType::Object;
        info.item_size = 8;
        info.big_endian = false;
        return true;
    }
    if (digits.empty() || digits.size() > 9 || digits[0] == '0') {
        why = "dtype '" + descr + "' has no valid size";
        return false;
    }
    for (char c : digits) {
        if (c < '0' || c > '9') {
            why = "unsupported dtype '" + descr + "'";
            return false;
        }
        size = size * 10 + std::size_t(c - '0');
    }
    struct Kind {
        char kind;
        std::size_t size;
        DType dtype;
    };
    static const Kind kinds[] = {{'b', 1, DType::Bool},    {'i', 1, DType::Int8},     {'i', 2, DType::Int16},
                                 {'i', 4, DType::Int32},   {'i', 8, DType::Int64},    {'u', 1, DType::UInt8},
                                 {'u', 2, DType::UInt16},  {'u', 4, DType::UInt32},   {'u', 8, DType::UInt64},
                                 {'f', 2, DType::Float16}, {'f', 4, DType::Float32}, {'f', 8, DType::Float64}};
    if (kind == 'U') {
        if (size > (std::size_t(1) << 28)) {
            why = "dtype '" + descr + "' is too long";
            return false;
        }
        info.dtype = DType::Unicode;
        info.item_size = 4 * size;
        info.big_endian = order == '>';
        return true;
    }
    if (kind == 'S') {
        info.dtype = DType::Bytes;
        info.item_size = size;
        info.big_endian = false;
        return true;
    }
    for (const Kind& k : kinds)
        if (k.kind == kind && k.size == size) {
            info.dtype = k.dtype;
            info.item_size = size;
            info.big_endian = order == '>' && size > 1;
            return true;
        }
    why = "unsupported dtype '" + descr + "'";
    return false;
}

/// The descr polytag writes for a C++ element type ("<f4", "|u1", "|b1", ...).
template <typename T>
std::string descr_of() {
    static_assert(std::is_arithmetic<T>::value, "numeric element types only");
    static_assert(sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8, "1, 2, 4 or 8-byte types");
    const std::string order = sizeof(T) == 1 ? "|" : "<";
    if (std::is_same<T, bool>::value) return "|b1";
    if (std::is_floating_point<T>::value) {
        static_assert(!std::is_floating_point<T>::value || sizeof(T) == 4 || sizeof(T) == 8, "float or double");
        return order + "f" + std::to_string(sizeof(T));
    }
    return order + (std::is_signed<T>::value ? "i" : "u") + std::to_string(sizeof(T));
}

}  // namespace detail

inline std::string ArrayInfo::numpy_name() const {
    if (dtype == DType::Unicode) return std::string(big_endian ? ">" : "<") + "U" + std::to_string(item_size / 4);
    if (dtype == DType::Bytes) return "|S" + std::to_string(item_size);
    return detail::dtype_name(dtype);
}

}  // namespace polytag::io
