#pragma once
// .npz archives as numpy writes them (np.savez / np.savez_compressed): NpzReader opens
// one array at a time by name, straight from the zip entry into the returned Tensor;
// save_npz writes arrays and string lists atomically.
//
//   polytag::io::NpzReader npz("openmic-2018.npz");
//   auto X = npz.read<float>("X");                    // uint8 (N, 10, 128) -> Tensor<float>
//   auto keys = npz.read_strings("sample_key");       // pickled str objects
//   polytag::io::save_npz("out.npz", {{"X", X}, {"keys", keys}});
#include <memory>
#include <string>
#include <vector>

#include "polytag/io/atomic_file.hpp"
#include "polytag/io/dtype.hpp"
#include "polytag/io/npy_decode.hpp"
#include "polytag/io/npy_encode.hpp"
#include "polytag/io/zip_reader.hpp"
#include "polytag/io/zip_writer.hpp"
#include "polytag/tensor/tensor.hpp"

namespace polytag::io {

/// Reads arrays from an .npz archive. Each call opens only the entry it needs; the archive
/// stays open for the reader's lifetime. Not safe for concurrent calls on one reader (libzip
/// shares one file handle); use one reader per thread.
class NpzReader {
public:
    /// Opens the archive and reads its directory; throws IoError if it is not a valid zip.
    explicit NpzReader(const std::string& path) : zip_(detail::ZipArchive::open_file(path)), path_(path) {}

    /// An archive held in memory (tests, fuzzing); `data` must outlive the reader.
    static NpzReader from_memory(const void* data, std::size_t size, const std::string& name = "memory.npz") {
        return NpzReader(detail::ZipArchive::open_memory(data, size, name), name);
    }

    /// Array names in archive order, without the ".npy" suffix numpy adds.
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        for (const auto& e : zip_.entries()) out.push_back(strip(e.name));
        return out;
    }
    bool contains(const std::string& name) const { return find(name) != nullptr; }

    /// dtype, shape and order from the array's header (its data is not read).
    ArrayInfo info(const std::string& name) const {
        auto src = open(name);
        return detail::read_npy_header(*src);
    }
    DType dtype(const std::string& name) const { return info(name).dtype; }
    std::vector<Index> shape(const std::string& name) const { return info(name).shape; }

    /// A numeric array as Tensor<T>, row-major, converted explicitly from any numeric dtype
    /// (bool, int, uint, float16/32/64; big-endian swapped; Fortran order reordered). A 0-d
    /// array is returned with Shape{} (rank 0, one element). Throws IoError for strings and
    /// objects, rank > 4, values that do not fit T, or malformed data.
    template <typename T>
    Tensor<T> read(const std::string& name) const {
        auto src = open(name);
        const ArrayInfo info = detail::read_npy_header(*src);
        return detail::read_npy_tensor<T>(*src, info);
    }

    /// A string array flattened in row-major order: '<U' (UTF-32 -> UTF-8), '|S' bytes, and
    /// object arrays of str/bytes (pickled; decoded by polytag's safe unpickler).
    std::vector<std::string> read_strings(const std::string& name) const {
        auto src = open(name);
        const ArrayInfo info = detail::read_npy_header(*src);
        return detail::read_npy_strings(*src, info);
    }

    const std::string& path() const { return path_; }

    /// The raw .npy stream of one array, positioned at its start: for readers that stream an
    /// array instead of loading it (npz_print.hpp's head). Throws IoError for unknown names.
    std::unique_ptr<detail::ByteSource> open_stream(const std::string& name) const { return open(name); }

private:
    NpzReader(detail::ZipArchive zip, std::string path) : zip_(std::move(zip)), path_(std::move(path)) {}

    static std::string strip(const std::string& entry) {
        const std::string ext = ".npy";
        if (entry.size() > ext.size() && entry.compare(entry.size() - ext.size(), ext.size(), ext) == 0)
            return entry.substr(0, entry.size() - ext.size());
        return entry;
    }
    const detail::ZipEntry* find(const std::string& name) const {
        if (const auto* e = zip_.find(name + ".npy")) return e;
        return zip_.find(name);
    }
    std::unique_ptr<detail::ZipEntrySource> open(const std::string& name) const {
        const detail::ZipEntry* e = find(name);
        if (!e) throw IoError(zip_.name() + ": no array named '" + name + "'");
        return zip_.open(*e);
    }

    detail::ZipArchive zip_;
    std::string path_;
};

/// One named array for save_npz: a numeric tensor (borrowed: it must outlive the call), a
/// list of strings (written as 1-d '<U'), or one string (a 0-d '<U' scalar).
class NpzEntry {
public:
    template <typename T, typename = std::enable_if_t<std::is_arithmetic<T>::value>>
    NpzEntry(std::string name, TensorView<const T> array)
        : name_(std::move(name)), array_(detail::EncodedArray::numeric<T>(array)) {}
    template <typename T, typename = std::enable_if_t<std::is_arithmetic<T>::value>>
    NpzEntry(std::string name, TensorView<T> array) : NpzEntry(std::move(name), TensorView<const T>(array)) {}
    template <typename T>
    NpzEntry(std::string name, const Tensor<T>& array) : NpzEntry(std::move(name), array.view()) {}
    NpzEntry(std::string name, const std::vector<std::string>& strings)
        : name_(std::move(name)), array_(detail::EncodedArray::strings(strings, false)) {}
    NpzEntry(std::string name, const std::string& scalar)
        : name_(std::move(name)), array_(detail::EncodedArray::strings({scalar}, true)) {}
    NpzEntry(std::string name, const char* scalar) : NpzEntry(std::move(name), std::string(scalar)) {}

    const std::string& name() const { return name_; }
    const detail::EncodedArray& encoded() const { return array_; }

private:
    std::string name_;
    detail::EncodedArray array_;
};

/// Writes an .npz archive numpy loads with allow_pickle=False: entries "<name>.npy" in the
/// given order, stored (np.savez) or deflated (np.savez_compressed). Atomic: the file is
/// written under a temporary name in the same folder, synced, then renamed over `path`.
inline void save_npz(const std::string& path, const std::vector<NpzEntry>& entries, bool compressed = false) {
    for (std::size_t i = 0; i < entries.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (entries[i].name() == entries[j].name())
                throw ValueError("polytag::io::save_npz: array name '" + entries[i].name() + "' is repeated");
    std::vector<detail::ZipInput> inputs;
    for (const NpzEntry& e : entries) {
        const detail::EncodedArray& a = e.encoded();
        inputs.push_back({e.name() + ".npy", {{a.header().data(), a.header().size()}, {a.data(), a.data_size()}}});
    }
    write_atomically(path, [&](AtomicFile& f) {
        f.close_stream();  // libzip writes the temporary file itself
        detail::write_zip(f.temp_path(), f.path(), inputs, compressed);
    });
}

}  // namespace polytag::io
