#pragma once
// EncodedArray: one array ready to be written as .npy bytes, a numpy-identical header plus
// its data. Numeric data is borrowed from the caller's tensor (never copied); strings are
// encoded once into an owned UTF-32 '<U' buffer, which numpy loads with allow_pickle=False.
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "polytag/io/dtype.hpp"
#include "polytag/io/npy_header.hpp"
#include "polytag/io/text.hpp"
#include "polytag/tensor/tensor.hpp"

namespace polytag::io::detail {

class EncodedArray {
public:
    EncodedArray() = default;

    template <typename T>
    static EncodedArray numeric(TensorView<const T> v) {
        static_assert(std::is_arithmetic<T>::value, "numeric tensors only");
        EncodedArray a;
        ArrayInfo info;
        info.descr = descr_of<T>();
        for (int k = 0; k < v.rank(); ++k) info.shape.push_back(v.dim(k));
        a.header_ = format_npy_header(info);
        a.data_ = reinterpret_cast<const unsigned char*>(v.data());
        a.size_ = std::uint64_t(v.size()) * sizeof(T);
        return a;
    }

    /// A 1-d '<U' array (or 0-d when `scalar`), as wide as the longest string (at least 1).
    static EncodedArray strings(const std::vector<std::string>& items, bool scalar) {
        std::vector<std::vector<std::uint32_t>> cps(items.size());
        std::size_t width = 1;
        for (std::size_t k = 0; k < items.size(); ++k) {
            std::size_t i = 0;
            std::uint32_t cp;
            while (i < items[k].size()) {
                if (!next_utf8(items[k], i, cp))
                    throw ValueError("polytag::io: string " + std::to_string(k) + " is not valid UTF-8");
                cps[k].push_back(cp);
            }
            width = std::max(width, cps[k].size());
        }
        EncodedArray a;
        ArrayInfo info;
        info.descr = "<U" + std::to_string(width);
        if (!scalar) info.shape.push_back(Index(items.size()));
        a.header_ = format_npy_header(info);
        a.owned_.assign(items.size() * width * 4, '\0');
        for (std::size_t k = 0; k < items.size(); ++k)
            for (std::size_t j = 0; j < cps[k].size(); ++j) {
                char* p = &a.owned_[(k * width + j) * 4];
                const std::uint32_t c = cps[k][j];
                p[0] = char(c & 0xff), p[1] = char((c >> 8) & 0xff), p[2] = char((c >> 16) & 0xff), p[3] = char(c >> 24);
            }
        a.data_ = reinterpret_cast<const unsigned char*>(a.owned_.data());
        a.size_ = a.owned_.size();
        return a;
    }

    EncodedArray(const EncodedArray& o) { *this = o; }
    EncodedArray& operator=(const EncodedArray& o) {
        header_ = o.header_;
        owned_ = o.owned_;
        size_ = o.size_;
        data_ = o.data_ == reinterpret_cast<const unsigned char*>(o.owned_.data()) && !o.owned_.empty()
                    ? reinterpret_cast<const unsigned char*>(owned_.data())
                    : o.data_;
        return *this;
    }
    EncodedArray(EncodedArray&& o) noexcept { *this = std::move(o); }
    EncodedArray& operator=(EncodedArray&& o) noexcept {
        const bool own = !o.owned_.empty() && o.data_ == reinterpret_cast<const unsigned char*>(o.owned_.data());
        header_ = std::move(o.header_);
        owned_ = std::move(o.owned_);
        size_ = o.size_;
        data_ = own ? reinterpret_cast<const unsigned char*>(owned_.data()) : o.data_;
        return *this;
    }

    const std::string& header() const { return header_; }
    const unsigned char* data() const { return data_; }
    std::uint64_t data_size() const { return size_; }
    std::uint64_t total_size() const { return header_.size() + size_; }

private:
    std::string header_;
    std::string owned_;
    const unsigned char* data_ = nullptr;
    std::uint64_t size_ = 0;
};

}  // namespace polytag::io::detail
