#pragma once
// Decoding one .npy stream from a ByteSource: header first, validated against the bytes
// the stream really holds before anything is allocated, then the data read straight into
// the destination Tensor (converted in cache-sized chunks when the element type differs).
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#include "polytag/io/byte_source.hpp"
#include "polytag/io/convert.hpp"
#include "polytag/io/dtype.hpp"
#include "polytag/io/npy_header.hpp"
#include "polytag/io/pickle.hpp"
#include "polytag/io/text.hpp"
#include "polytag/tensor/tensor.hpp"

namespace polytag::io::detail {

/// Reads and validates the header; on return `src` is positioned at the array data. When the
/// header dict is refused and `partial` is given, it receives what was parsed (the raw
/// descr of an unsupported dtype, for listings) before the IoError is thrown.
inline ArrayInfo read_npy_header(ByteSource& src, ArrayInfo* partial = nullptr) {
    unsigned char prefix[8];
    if (src.size() < 10) src.fail("too short for a .npy header (" + std::to_string(src.size()) + " bytes)");
    src.read_exact(prefix, 8, ".npy magic");
    if (std::memcmp(prefix, kNpyMagic, kNpyMagicLen) != 0) src.fail("not a .npy stream (wrong magic)");
    const unsigned major = prefix[6], minor = prefix[7];
    if ((major != 1 && major != 2 && major != 3) || minor != 0)
        src.fail(".npy format version " + std::to_string(major) + "." + std::to_string(minor) + " is not supported");
    unsigned char len_bytes[4] = {0, 0, 0, 0};
    src.read_exact(len_bytes, major == 1 ? 2 : 4, ".npy header length");
    const std::uint64_t header_len = std::uint64_t(len_bytes[0]) | std::uint64_t(len_bytes[1]) << 8 |
                                     std::uint64_t(len_bytes[2]) << 16 | std::uint64_t(len_bytes[3]) << 24;
    if (header_len > kMaxNpyHeader || header_len > src.remaining())
        src.fail(".npy header claims " + std::to_string(header_len) + " bytes, stream holds " + std::to_string(src.remaining()));
    std::string header(std::size_t(header_len), '\0');
    src.read_exact(&header[0], header_len, ".npy header");
    ArrayInfo info;
    std::string why;
    if (!HeaderDictParser(header).parse(info, why)) {
        if (partial) *partial = info;
        src.fail(".npy header: " + why);
    }
    const std::uint64_t holds = src.remaining();
    if (info.dtype == DType::Object) {
        // Each element costs at least one pickle byte; this bounds every later allocation.
        if (info.element_count() > holds)
            src.fail("header says " + info.shape_str() + " object = " + std::to_string(info.element_count()) +
                     " elements, " + std::string("the pickle holds only ") + std::to_string(holds) + " bytes");
        return info;
    }
    std::uint64_t bytes = 0;
    if (!data_bytes(info, bytes)) src.fail("header says " + info.shape_str() + " " + info.numpy_name() + ", which overflows");
    if (bytes != holds)
        src.fail("header says " + info.shape_str() + " " + info.numpy_name() + " = " + std::to_string(bytes) +
                 " bytes, " + src.noun() + " holds " + std::to_string(holds));
    return info;
}

/// Large fresh buffers are written page by page; on virtual machines each 4 KiB page
/// fault is expensive (it dominated reading a 100 MB tensor). Asking for transparent huge
/// pages and pre-faulting in one call makes the first write cheap. Advisory only: errors
/// are ignored, contents are never changed.
inline void prepare_for_write(void* data, std::size_t bytes) {
#if defined(__linux__)
    constexpr std::size_t kMin = std::size_t(4) << 20;
    if (bytes < kMin) return;
    const std::size_t page = std::size_t(::sysconf(_SC_PAGESIZE));
    const std::uintptr_t begin = (reinterpret_cast<std::uintptr_t>(data) + page - 1) & ~(std::uintptr_t(page) - 1);
    const std::uintptr_t end = (reinterpret_cast<std::uintptr_t>(data) + bytes) & ~(std::uintptr_t(page) - 1);
    if (end <= begin) return;
    void* p = reinterpret_cast<void*>(begin);
    const std::size_t n = std::size_t(end - begin);
#ifdef MADV_HUGEPAGE
    ::madvise(p, n, MADV_HUGEPAGE);
#endif
#ifdef MADV_POPULATE_WRITE
    ::madvise(p, n, MADV_POPULATE_WRITE);
#endif
#else
    (void)data;
    (void)bytes;
#endif
}

/// Row-major index order from a column-major (Fortran) buffer, any rank.
template <typename T, typename Move>
void fortran_to_c_order(T* src, T* dst, const std::vector<Index>& shape, Move move) {
    const std::size_t rank = shape.size();
    std::uint64_t n = 1;
    for (Index d : shape) n *= std::uint64_t(d);
    if (n == 0) return;
    std::vector<std::uint64_t> stride(rank), idx(rank, 0);
    std::uint64_t s = 1;
    for (std::size_t k = 0; k < rank; ++k) {
        stride[k] = s;
        s *= std::uint64_t(shape[k]);
    }
    std::uint64_t off = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
        move(src[off], dst[i]);
        for (std::size_t k = rank; k-- > 0;) {  // odometer over the row-major index
            off += stride[k];
            if (++idx[k] < std::uint64_t(shape[k])) break;
            off -= stride[k] * idx[k];
            idx[k] = 0;
        }
    }
}

inline Shape tensor_shape(const ByteSource& src, const ArrayInfo& info) {
    if (info.shape.size() > std::size_t(kMaxRank))
        src.fail("rank " + std::to_string(info.shape.size()) + " array " + info.shape_str() +
                 " exceeds the rank 4 a polytag Tensor holds");
    Shape s;
    for (Index d : info.shape) s.push_back(d);
    return s;
}

template <typename T>
const char* cpp_type_name() {
    if (std::is_same<T, bool>::value) return "bool";
    if (std::is_same<T, float>::value) return "float";
    if (std::is_same<T, double>::value) return "double";
    if (std::is_integral<T>::value) return std::is_signed<T>::value ? "a signed integer" : "an unsigned integer";
    return "T";
}

/// The numeric array data as a row-major Tensor<T> (explicit conversion from any numeric dtype).
template <typename T>
Tensor<T> read_npy_tensor(ByteSource& src, const ArrayInfo& info) {
    if (!is_numeric(info.dtype))
        src.fail("holds " + info.numpy_name() + " data; read it with read_strings, not as numbers");
    const Shape shape = tensor_shape(src, info);
    // Fortran data is read under the reversed shape (the same bytes in row-major terms).
    Shape stored;
    if (info.fortran_order)
        for (std::size_t k = info.shape.size(); k-- > 0;) stored.push_back(info.shape[k]);
    else stored = shape;
    Tensor<T> out(stored);
    const std::size_t n = std::size_t(out.size());
    prepare_for_write(out.data(), n * sizeof(T));
    if (is_native_type<T>(info.dtype)) {
        src.read_exact(out.data(), std::uint64_t(n) * sizeof(T), "array data");
        auto* bytes = reinterpret_cast<unsigned char*>(out.data());
        if (info.big_endian) swap_bytes_inplace(bytes, n, sizeof(T));
        if (std::is_same<T, bool>::value)  // any nonzero byte is True, as numpy; never an invalid bool
            for (std::size_t i = 0; i < n; ++i) bytes[i] = bytes[i] != 0;
    } else {
        constexpr std::size_t kChunk = 1 << 16;
        std::unique_ptr<unsigned char[]> buf(new unsigned char[kChunk]);
        const std::size_t per = kChunk / info.item_size;
        for (std::size_t done = 0; done < n;) {
            const std::size_t k = std::min(per, n - done);
            src.read_exact(buf.get(), std::uint64_t(k) * info.item_size, "array data");
            const std::size_t bad = convert_elements<T>(info.dtype, buf.get(), out.data() + done, k, info.big_endian);
            if (bad != k)
                src.fail(info.numpy_name() + " element " + std::to_string(done + bad) + " does not fit " +
                         cpp_type_name<T>() + " (" + std::to_string(sizeof(T) * 8) + "-bit)");
            done += k;
        }
    }
    src.finish();
    if (info.fortran_order && shape.rank() > 1) {
        Tensor<T> c(shape);
        prepare_for_write(c.data(), n * sizeof(T));
        fortran_to_c_order(out.data(), c.data(), info.shape, [](T& a, T& b) { b = a; });
        return c;
    }
    if (info.fortran_order) out.resize(shape);  // rank <= 1: same order
    return out;
}

/// The string elements (<U as UTF-8, |S and pickled str/bytes as they are), flattened row-major.
inline std::vector<std::string> read_npy_strings(ByteSource& src, const ArrayInfo& info) {
    std::vector<std::string> out;
    if (info.dtype == DType::Object) {
        std::string pickle(std::size_t(src.remaining()), '\0');
        src.read_exact(&pickle[0], pickle.size(), "object array pickle");
        src.finish();
        PickledArray arr = unpickle_object_array(pickle, src.context());
        if (arr.shape != info.shape)
            src.fail("pickled array has " + std::to_string(arr.shape.size()) + "-d shape different from the header's " +
                     info.shape_str());
        // The pickled element list is always in row-major order, whatever the order flag.
        return std::move(arr.items);
    }
    if (info.dtype != DType::Unicode && info.dtype != DType::Bytes)
        src.fail("holds " + info.numpy_name() + " numbers, not strings");
    const std::size_t n = std::size_t(info.element_count());
    out.resize(n);
    if (n == 0) {  // item_size is unchecked when there is no data: allocate nothing
        src.finish();
        return out;
    }
    constexpr std::size_t kChunk = 1 << 16;
    const std::size_t per = std::max<std::size_t>(1, kChunk / info.item_size);
    std::vector<unsigned char> buf(std::min(per, n) * info.item_size);
    for (std::size_t done = 0; done < n;) {
        const std::size_t k = std::min(per, n - done);
        src.read_exact(buf.data(), std::uint64_t(k) * info.item_size, "string data");
        for (std::size_t i = 0; i < k; ++i) {
            const unsigned char* p = buf.data() + i * info.item_size;
            std::string& s = out[done + i];
            if (info.dtype == DType::Unicode) {
                if (!utf32_to_utf8(p, info.item_size / 4, info.big_endian, s))
                    src.fail("element " + std::to_string(done + i) + " is not valid UTF-32");
            } else {
                std::size_t len = info.item_size;
                while (len > 0 && p[len - 1] == 0) --len;  // numpy drops trailing NULs
                s.assign(reinterpret_cast<const char*>(p), len);
            }
        }
        done += k;
    }
    src.finish();
    if (info.fortran_order && info.shape.size() > 1) {
        std::vector<std::string> c(n);
        fortran_to_c_order(out.data(), c.data(), info.shape, [](std::string& a, std::string& b) { b = std::move(a); });
        return c;
    }
    return out;
}

}  // namespace polytag::io::detail
