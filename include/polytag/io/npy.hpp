#pragma once
// Plain .npy files: load_npy<T> (any numeric dtype, explicitly converted to T, returned
// row-major), load_npy_strings (<U, |S, pickled object arrays of str/bytes) and
// save_npy (numpy-identical bytes, written atomically).
//
//   auto y = polytag::io::load_npy<float>("y.npy");        // Tensor<float>, rank 0..4
//   polytag::io::save_npy("y2.npy", y.view());
#include <string>
#include <vector>

#include "polytag/io/atomic_file.hpp"
#include "polytag/io/byte_source.hpp"
#include "polytag/io/dtype.hpp"
#include "polytag/io/npy_decode.hpp"
#include "polytag/io/npy_encode.hpp"
#include "polytag/tensor/tensor.hpp"

namespace polytag::io {

/// The header of a .npy file (dtype, shape, order) without reading its data.
inline ArrayInfo load_npy_info(const std::string& path) {
    detail::FileSource src(path);
    return detail::read_npy_header(src);
}

/// A .npy file's numeric array as Tensor<T>. A 0-d array comes back with Shape{} (rank 0,
/// one element). Throws IoError for string/object arrays, rank > 4, values that do not fit
/// T, or any malformed file.
template <typename T>
Tensor<T> load_npy(const std::string& path) {
    detail::FileSource src(path);
    const ArrayInfo info = detail::read_npy_header(src);
    return detail::read_npy_tensor<T>(src, info);
}

/// A .npy file's strings, flattened in row-major order: '<U' as UTF-8, '|S' bytes as they
/// are, object arrays of str/bytes through the safe unpickler.
inline std::vector<std::string> load_npy_strings(const std::string& path) {
    detail::FileSource src(path);
    const ArrayInfo info = detail::read_npy_header(src);
    return detail::read_npy_strings(src, info);
}

namespace detail {
inline void save_encoded_npy(const std::string& path, const EncodedArray& a) {
    write_atomically(path, [&](AtomicFile& f) {
        f.write(a.header());
        f.write(a.data(), std::size_t(a.data_size()));
    });
}
}  // namespace detail

/// Writes `array` as a .npy file numpy reads with allow_pickle=False (version 1.0,
/// little-endian, C order). Atomic: an existing file is replaced only once the new one is complete.
template <typename T>
void save_npy(const std::string& path, TensorView<const T> array) {
    detail::save_encoded_npy(path, detail::EncodedArray::numeric<T>(array));
}
template <typename T>
void save_npy(const std::string& path, TensorView<T> array) {
    save_npy<T>(path, TensorView<const T>(array));
}
template <typename T>
void save_npy(const std::string& path, const Tensor<T>& array) {
    save_npy<T>(path, array.view());
}
/// Strings as a 1-d '<U' array.
inline void save_npy(const std::string& path, const std::vector<std::string>& strings) {
    detail::save_encoded_npy(path, detail::EncodedArray::strings(strings, false));
}

}  // namespace polytag::io
