#pragma once
// polytag::audio::Vggish: the VGGish CNN (Hershey et al., ICASSP 2017) as Google's TF-Slim
// graph and torchvggish define it, and its PCA/quantisation post-processor, from one .npz.
//
//   auto vggish = polytag::audio::Vggish::load("vggish.npz");   // examples/convert_vggish.py
//   Tensor<float> e = vggish.embed(patches);                    // (N, 96, 64) log-mel -> (N, 128)
//   Tensor<std::uint8_t> f = vggish.embed_uint8(patches);       // the OpenMIC-2018 feature bytes
//
// The network, on one (96 frames, 64 bands) patch read as an NHWC image (96, 64, 1):
//   conv1 pool1 conv2 pool2 conv3_1 conv3_2 pool3 conv4_1 conv4_2 pool4 flatten fc1_1 fc1_2 fc2
// every conv 3x3, stride 1, SAME, + bias + ReLU; every pool 2x2, stride 2 (96x64 -> 6x4);
// flatten in (h, w, c) order (TensorFlow's; torchvggish permutes NCHW -> NHWC to match);
// fc1_1, fc1_2 + bias + ReLU; fc2 + bias, + ReLU when the file's final_activation is "relu"
// (the 2017 graph that made the AudioSet and OpenMIC-2018 features, and torchvggish) or
// nothing when it is "none" (Google's later graph, which outputs the pre-activation).
// The widths come from the file (validated for consistency), so the official network is the
// instance 64, 128, 256, 256, 512, 512 / 4096, 4096, 128. docs/vggish.md has the file format.
//
// Threads: a loaded Vggish is immutable; every method is const. One instance can serve any
// number of threads at once, each with its own VggishWorkspace (the buffers of a forward pass)
// or through the overloads that make a workspace per call. The weights are shared, never copied
// per thread (the FC weights are kept transposed, (in, out), so no GEMM backend transposes them
// per call). Within a call the GEMMs run on the BLAS pool that polytag::set_num_threads
// (tensor/threads.hpp) sizes, or, with one BLAS thread, the conv products on libxsmm
// (conv_backend()); im2col, pooling and the post-processor run on the calling thread. Patches go through the network in chunks of at
// most VggishWorkspace::max_batch (default 16) so memory stays bounded for any N.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "polytag/audio/vggish_postprocessor.hpp"
#include "polytag/error.hpp"
#include "polytag/io/npz.hpp"
#include "polytag/tensor/kernels.hpp"
#include "polytag/tensor/tensor.hpp"
#include "polytag/tensor/threads.hpp"

namespace polytag::audio {

constexpr const char* kVggishFormat = "polytag.audio.vggish/1";
constexpr Index kVggishFrames = 96;  ///< patch height: 96 frames of 10 ms
constexpr Index kVggishBands = 64;   ///< patch width: 64 mel bands
// Limits a file's widths must respect (the official file uses 512 / 4096 / 128), so that no
// file can make a forward pass allocate more than a few hundred MB per chunk.
constexpr Index kVggishMaxConvWidth = 1024;
constexpr Index kVggishMaxFcWidth = 16384;
// The arrays a file declares may add up to at most this multiple of the file's size (plus
// 1 MiB): a deflated entry that inflates further than real weights ever do is refused before
// anything is allocated.
constexpr std::uint64_t kVggishMaxInflation = 8;
// A chunk's two activation buffers stay under this (fewer patches per chunk for wide files).
constexpr std::size_t kVggishChunkBytes = std::size_t(256) << 20;

/// The widths of one VGGish instance.
struct VggishArchitecture {
    std::array<Index, 6> conv{};  ///< output channels of conv1, conv2, conv3_1, conv3_2, conv4_1, conv4_2
    std::array<Index, 3> fc{};    ///< output features of fc1_1, fc1_2, fc2 (fc[2] = embedding size)
    bool final_relu = true;       ///< ReLU after fc2 (final_activation "relu")

    Index embedding_size() const { return fc[2]; }
    /// Values per patch entering fc1_1: 6 x 4 x conv4_2.
    Index flat_size() const { return (kVggishFrames / 16) * (kVggishBands / 16) * conv[5]; }
    friend bool operator==(const VggishArchitecture& a, const VggishArchitecture& b) {
        return a.conv == b.conv && a.fc == b.fc && a.final_relu == b.final_relu;
    }
};

/// The names of the file's entries, in network order.
inline const std::array<const char*, 6>& vggish_conv_names() {
    static const std::array<const char*, 6> n{"conv1", "conv2", "conv3_1", "conv3_2", "conv4_1", "conv4_2"};
    return n;
}
inline const std::array<const char*, 3>& vggish_fc_names() {
    static const std::array<const char*, 3> n{"fc1_1", "fc1_2", "fc2"};
    return n;
}

/// The buffers of one forward pass (activations and im2col). Not shared between threads;
/// sized on first use for the model it serves and reused afterwards.
class VggishWorkspace {
public:
    explicit VggishWorkspace(Index max_batch = 16) : max_batch_(max_batch) {
        if (max_batch < 1)
            throw ValueError("polytag::audio::VggishWorkspace: max_batch must be >= 1, got " + std::to_string(max_batch));
    }
    Index max_batch() const { return max_batch_; }

private:
    friend class Vggish;
    Index max_batch_;
    Tensor<float> a_, b_, cols_, pre_pool_;
};

class Vggish {
public:
    /// Loads and validates a polytag VGGish file (docs/vggish.md). Throws IoError naming the
    /// file and the entry: not an .npz, wrong format string, an entry missing or unexpected,
    /// not float32, a shape inconsistent with the others, a width over the limits, a value
    /// that is not finite. Every header is checked before any array is read.
    static Vggish load(const std::string& path) {
        std::unique_ptr<io::NpzReader> reader;
        try {
            reader = std::make_unique<io::NpzReader>(path);
        } catch (const Error& e) {
            throw file_error(path, "", std::string("cannot be read as .npz (") + e.what() + ")");
        }
        const io::NpzReader& r = *reader;
        const std::vector<std::string> names = r.names();
        auto has = [&](const std::string& n) { return std::find(names.begin(), names.end(), n) != names.end(); };

        auto read_text = [&](const std::string& n) {
            if (!has(n)) throw file_error(path, n, "missing (is this a polytag VGGish file?)");
            std::vector<std::string> s;
            try {
                s = r.read_strings(n);
            } catch (const Error& e) {
                throw file_error(path, n, std::string("is not a string (") + e.what() + ")");
            }
            if (s.size() != 1) throw file_error(path, n, "must hold one string, holds " + std::to_string(s.size()));
            return s[0];
        };
        const std::string format = read_text("format");
        if (format != kVggishFormat) {
            const std::string family = "polytag.audio.vggish/";
            const std::string why = format.compare(0, family.size(), family) == 0
                                        ? "is '" + shown(format) + "', a version this polytag cannot read (it reads '" +
                                              kVggishFormat + "')"
                                        : "is '" + shown(format) + "', expected '" + kVggishFormat + "'";
            throw file_error(path, "format", why);
        }
        Vggish v;
        const std::string act = read_text("final_activation");
        if (act != "relu" && act != "none")
            throw file_error(path, "final_activation", "is '" + shown(act) + "', expected 'relu' or 'none'");
        v.arch_.final_relu = act == "relu";

        // Every expected entry, its header checked (float32, shape) before any data is read.
        std::vector<std::string> expected{"format", "final_activation", "pca_eigen_vectors", "pca_means"};
        for (const char* n : vggish_conv_names()) {
            expected.push_back(std::string(n) + ".weight");
            expected.push_back(std::string(n) + ".bias");
        }
        for (const char* n : vggish_fc_names()) {
            expected.push_back(std::string(n) + ".weight");
            expected.push_back(std::string(n) + ".bias");
        }
        for (const auto& n : names)
            if (std::find(expected.begin(), expected.end(), n) == expected.end())
                throw file_error(path, n, "unexpected entry (is this a polytag VGGish file?)");

        std::uint64_t declared = 0;
        auto header = [&](const std::string& n) {
            if (!has(n)) throw file_error(path, n, "missing");
            io::ArrayInfo info;
            try {
                info = r.info(n);
            } catch (const Error& e) {
                throw file_error(path, n, std::string("unreadable .npy header (") + e.what() + ")");
            }
            if (info.dtype != io::DType::Float32)
                throw file_error(path, n, "is " + info.numpy_name() + ", expected float32");
            declared += info.element_count() * 4;
            return info.shape;
        };
        auto expect = [&](const std::string& n, const std::vector<Index>& got, const std::vector<Index>& want,
                          const std::string& want_text) {
            if (got != want) {
                io::ArrayInfo shown;
                shown.shape = got;
                throw file_error(path, n, "has shape " + shown.shape_str() + ", expected " + want_text);
            }
        };
        auto width = [&](const std::string& n, Index w, Index limit) {
            if (w < 1 || w > limit)
                throw file_error(path, n, "width " + std::to_string(w) + " is outside [1, " + std::to_string(limit) + "]");
        };

        Index in = 1;
        for (std::size_t k = 0; k < 6; ++k) {
            const std::string wn = std::string(vggish_conv_names()[k]) + ".weight";
            const std::string bn = std::string(vggish_conv_names()[k]) + ".bias";
            const std::vector<Index> ws = header(wn);
            const std::string want = "(3, 3, " + std::to_string(in) + ", C) (kh, kw, in, out)";
            if (ws.size() != 4) expect(wn, ws, {}, want);
            width(wn, ws[3], kVggishMaxConvWidth);
            expect(wn, ws, {3, 3, in, ws[3]}, want);
            expect(bn, header(bn), {ws[3]}, "(" + std::to_string(ws[3]) + ",)");
            v.arch_.conv[k] = in = ws[3];
        }
        in = v.arch_.flat_size();
        for (std::size_t k = 0; k < 3; ++k) {
            const std::string wn = std::string(vggish_fc_names()[k]) + ".weight";
            const std::string bn = std::string(vggish_fc_names()[k]) + ".bias";
            const std::vector<Index> ws = header(wn);
            const std::string want = "(F, " + std::to_string(in) + ") (out, in)";
            if (ws.size() != 2) expect(wn, ws, {}, want);
            width(wn, ws[0], kVggishMaxFcWidth);
            expect(wn, ws, {ws[0], in}, want);
            expect(bn, header(bn), {ws[0]}, "(" + std::to_string(ws[0]) + ",)");
            v.arch_.fc[k] = in = ws[0];
        }
        const Index e = v.arch_.embedding_size();
        expect("pca_eigen_vectors", header("pca_eigen_vectors"), {e, e},
               "(" + std::to_string(e) + ", " + std::to_string(e) + ") (the embedding size)");
        expect("pca_means", header("pca_means"), {e}, "(" + std::to_string(e) + ",)");

        std::error_code ec;
        const std::uintmax_t file_size = std::filesystem::file_size(path, ec);
        if (ec) throw file_error(path, "", "cannot be sized (" + ec.message() + ")");
        if (declared > kVggishMaxInflation * std::uint64_t(file_size) + (std::uint64_t(1) << 20))
            throw file_error(path, "", "declares " + std::to_string(declared) + " bytes of arrays in a file of " +
                                           std::to_string(file_size) + " bytes (more than " +
                                           std::to_string(kVggishMaxInflation) + "x): refused");

        auto read = [&](const std::string& n) {
            Tensor<float> t;
            try {
                t = r.read<float>(n);
            } catch (const Error& e) {
                throw file_error(path, n, std::string("cannot be read (") + e.what() + ")");
            }
            for (Index i = 0; i < t.size(); ++i)
                if (!std::isfinite(t[i])) throw file_error(path, n, "element " + std::to_string(i) + " is not finite");
            return t;
        };
        for (std::size_t k = 0; k < 6; ++k) {
            v.conv_w_[k] = read(std::string(vggish_conv_names()[k]) + ".weight");
            v.conv_b_[k] = read(std::string(vggish_conv_names()[k]) + ".bias");
        }
        for (std::size_t k = 0; k < 3; ++k) {
            v.fc_wt_[k] = read_transposed(r, path, std::string(vggish_fc_names()[k]) + ".weight");
            v.fc_b_[k] = read(std::string(vggish_fc_names()[k]) + ".bias");
        }
        v.post_ = VggishPostprocessor(read("pca_eigen_vectors"), read("pca_means"));
        // The largest activation of one patch the chunk buffers hold: the output of a conv that
        // no pool follows, a pool's output (a pooled conv's full output only ever exists for
        // one group of patches, in the workspace's own buffer), or an FC output.
        Index hh = kVggishFrames, ww = kVggishBands;
        for (std::size_t k = 0; k < 6; ++k) {
            if (pools_after(int(k))) hh /= 2, ww /= 2;
            v.most_ = std::max(v.most_, hh * ww * v.arch_.conv[k]);
        }
        v.most_ = std::max({v.most_, v.arch_.fc[0], v.arch_.fc[1], v.arch_.fc[2]});
        return v;
    }

    const VggishArchitecture& architecture() const { return arch_; }
    Index embedding_size() const { return arch_.embedding_size(); }
    const VggishPostprocessor& postprocessor() const { return post_; }

    /// Conv layer k (0..5): weight (3, 3, in, out) HWIO as polytag::Conv2d, bias (out).
    const Tensor<float>& conv_weight(int k) const { return conv_w_.at(std::size_t(k)); }
    const Tensor<float>& conv_bias(int k) const { return conv_b_.at(std::size_t(k)); }
    /// FC layer k (0..2): weight (in, out), the transpose of the file's and polytag::Dense's
    /// (out, in), as the forward multiplies by it (y = x W^T computed as x times this); shared
    /// by every thread. Bias (out).
    const Tensor<float>& fc_weight_transposed(int k) const { return fc_wt_.at(std::size_t(k)); }
    const Tensor<float>& fc_bias(int k) const { return fc_b_.at(std::size_t(k)); }
    /// FC layer k's weight (out, in) as in the file and polytag::Dense: a transposed copy
    /// (fc1_1's is 201 MB for the official widths), for inspection and tests.
    Tensor<float> fc_weight(int k) const {
        const Tensor<float>& t = fc_wt_.at(std::size_t(k));
        const Index in = t.dim(0), out = t.dim(1);
        Tensor<float> w(Shape{out, in});
        transpose_into(t.data(), in, out, w.data());
        return w;
    }

    /// Raw embeddings: patches (N, 96, 64) -> out (N, E). N may be 0. Throws ShapeError on
    /// wrong shapes and ValueError on a non-finite input value (naming the patch).
    void embed(TensorView<const float> patches, TensorView<float> out, VggishWorkspace& ws) const {
        check_patches(patches);
        const Index n = patches.dim(0), e = embedding_size();
        if (out.shape() != Shape{n, e})
            throw ShapeError("polytag::audio::Vggish::embed: output is " + out.shape().str() + ", expected " +
                             Shape{n, e}.str());
        // Two activation buffers of `most_` floats per patch: at most kVggishChunkBytes of them.
        const Index chunk = std::min(ws.max_batch(), std::max<Index>(1, Index(kVggishChunkBytes / (8 * most_))));
        for (Index begin = 0; begin < n; begin += chunk) {
            const Index end = std::min(n, begin + chunk);
            forward_chunk(patches.rows(begin, end), out.rows(begin, end), ws);
        }
    }
    Tensor<float> embed(TensorView<const float> patches, VggishWorkspace& ws) const {
        check_patches(patches);
        Tensor<float> out(Shape{patches.dim(0), embedding_size()});
        embed(patches, out.view(), ws);
        return out;
    }
    /// The same with a workspace made for this call.
    Tensor<float> embed(TensorView<const float> patches) const {
        VggishWorkspace ws;
        return embed(patches, ws);
    }

    /// The GEMM backend of the conv (im2col) products. With one BLAS thread (polytag-embed's
    /// workers, one core each) libxsmm: its AVX-512 kernels ran conv3_2 / conv4_1 / conv4_2's
    /// products (1152 x 2304 x 256, 960 x 2304 x 512, 960 x 4608 x 512) 1.5 to 2 times as fast as
    /// OpenBLAS on the development machine, where polytag::gemm's own choice sends products over
    /// 2^29 multiply-adds to OpenBLAS. With more BLAS threads polytag::gemm's choice (OpenBLAS
    /// threads the large products; libxsmm runs on one thread).
    static GemmBackend conv_backend() {
#if defined(POLYTAG_USE_LIBXSMM)
        return num_threads() == 1 ? GemmBackend::Xsmm : GemmBackend::Auto;
#else
        return GemmBackend::Auto;
#endif
    }

    /// The post-processor on raw embeddings (N, E) -> bytes (N, E).
    Tensor<std::uint8_t> quantize(TensorView<const float> embeddings) const { return post_.quantize(embeddings); }

    /// Patches (N, 96, 64) -> post-processed bytes (N, E): what the OpenMIC-2018 release stores.
    Tensor<std::uint8_t> embed_uint8(TensorView<const float> patches, VggishWorkspace& ws) const {
        return post_.quantize(embed(patches, ws).view());
    }
    Tensor<std::uint8_t> embed_uint8(TensorView<const float> patches) const {
        VggishWorkspace ws;
        return embed_uint8(patches, ws);
    }

private:
    Vggish() = default;

    static bool pools_after(int conv) { return conv == 0 || conv == 1 || conv == 3 || conv == 5; }

    /// dst (cols, rows) = src (rows, cols)^T, both row-major and contiguous (32 x 32 tiles).
    static void transpose_into(const float* src, Index rows, Index cols, float* dst) {
        constexpr Index kTile = 32;
        for (Index i0 = 0; i0 < rows; i0 += kTile)
            for (Index j0 = 0; j0 < cols; j0 += kTile) {
                const Index i1 = std::min(rows, i0 + kTile), j1 = std::min(cols, j0 + kTile);
                for (Index j = j0; j < j1; ++j)
                    for (Index i = i0; i < i1; ++i) dst[j * rows + i] = src[i * cols + j];
            }
    }

    /// An FC weight entry (out, in), float32 (its header already checked), read into the
    /// transposed (in, out) layout the forward uses. The data streams through a buffer of a few
    /// rows, so the 201 MB of the official fc1_1 are never held twice. The same errors as the
    /// other entries: "cannot be read (...)" for a broken stream, and the first non-finite
    /// element, numbered as in the file's (out, in) row-major order.
    static Tensor<float> read_transposed(const io::NpzReader& r, const std::string& path, const std::string& n) {
        Tensor<float> t;
        std::uint64_t bad = ~std::uint64_t(0);
        try {
            const std::unique_ptr<io::detail::ByteSource> src = r.open_stream(n);
            const io::ArrayInfo info = io::detail::read_npy_header(*src);
            const Index rows = info.shape.at(0), cols = info.shape.at(1);  // (out, in)
            t = Tensor<float>(Shape{cols, rows});
            auto* bytes = reinterpret_cast<unsigned char*>(t.data());
            if (info.fortran_order) {
                // Column-major (out, in) is row-major (in, out): the bytes are already in place.
                src->read_exact(t.data(), std::uint64_t(t.size()) * 4, "array data");
                if (info.big_endian) io::detail::swap_bytes_inplace(bytes, std::size_t(t.size()), 4);
                for (Index j = 0; j < cols; ++j)
                    for (Index i = 0; i < rows; ++i)
                        if (!std::isfinite(t[j * rows + i]))
                            bad = std::min(bad, std::uint64_t(i) * std::uint64_t(cols) + std::uint64_t(j));
            } else {
                constexpr Index kBlock = 32;
                std::vector<float> buf(std::size_t(std::min(kBlock, rows) * cols));
                for (Index i0 = 0; i0 < rows; i0 += kBlock) {
                    const Index nr = std::min(kBlock, rows - i0);
                    src->read_exact(buf.data(), std::uint64_t(nr * cols) * 4, "array data");
                    if (info.big_endian)
                        io::detail::swap_bytes_inplace(reinterpret_cast<unsigned char*>(buf.data()),
                                                       std::size_t(nr * cols), 4);
                    if (bad == ~std::uint64_t(0))
                        for (Index e = 0; e < nr * cols; ++e)
                            if (!std::isfinite(buf[std::size_t(e)])) {
                                bad = std::uint64_t(i0 * cols + e);
                                break;
                            }
                    // Rows i0 .. i0 + nr of the file are columns i0 .. i0 + nr of t.
                    for (Index j = 0; j < cols; ++j) {
                        float* d = t.data() + j * rows + i0;
                        for (Index i = 0; i < nr; ++i) d[i] = buf[std::size_t(i * cols + j)];
                    }
                }
            }
            src->finish();
        } catch (const Error& e) {
            throw file_error(path, n, std::string("cannot be read (") + e.what() + ")");
        }
        if (bad != ~std::uint64_t(0)) throw file_error(path, n, "element " + std::to_string(bad) + " is not finite");
        return t;
    }

    /// A string from the file as a message shows it: at most 64 characters, control characters as '?'.
    static std::string shown(std::string s) {
        if (s.size() > 64) s = s.substr(0, 61) + "...";
        for (char& c : s)
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
        return s;
    }

    static IoError file_error(const std::string& path, const std::string& entry, const std::string& why) {
        return IoError("vggish file " + path + ": " + (entry.empty() ? std::string() : "'" + entry + "': ") + why);
    }

    static void check_patches(TensorView<const float> patches) {
        if (patches.rank() != 3 || patches.dim(1) != kVggishFrames || patches.dim(2) != kVggishBands)
            throw ShapeError("polytag::audio::Vggish::embed: expects patches (N, 96, 64), got " +
                             patches.shape().str());
        const Index per = kVggishFrames * kVggishBands;
        for (Index i = 0; i < patches.size(); ++i)
            if (!std::isfinite(patches[i]))
                throw ValueError("polytag::audio::Vggish::embed: patch " + std::to_string(i / per) + " (frame " +
                                 std::to_string(i % per / kVggishBands) + ", band " +
                                 std::to_string(i % kVggishBands) + ") is not finite");
    }

    /// y = max(y + bias, 0) row by row (or just + bias).
    static void bias_act(float* y, Index rows, Index cols, const float* bias, bool relu) {
        for (Index r = 0; r < rows; ++r, y += cols) {
            if (relu)
                for (Index c = 0; c < cols; ++c) y[c] = std::max(y[c] + bias[c], 0.0f);
            else
                for (Index c = 0; c < cols; ++c) y[c] += bias[c];
        }
    }

    /// im2col of a 3x3 SAME stride-1 window over x (b, h, w, c): row (s, i, j) of `cols`
    /// (b*h*w, 9c) holds the window of pixel (i, j) in (ki, kj, channel) order, as Conv2d's HWIO
    /// weight reads it, with zeros where the window covers the one-pixel padding.
    static void im2col3x3(const float* x, Index b, Index h, Index w, Index c, float* cols) {
        const Index row = 3 * c;
        for (Index s = 0; s < b; ++s) {
            const float* xs = x + s * h * w * c;
            for (Index i = 0; i < h; ++i)
                for (Index j = 0; j < w; ++j)
                    for (Index ki = 0; ki < 3; ++ki, cols += row) {
                        const Index ii = i + ki - 1;
                        if (ii < 0 || ii >= h) {
                            std::fill(cols, cols + row, 0.0f);
                            continue;
                        }
                        // Kernel columns [lo, hi) fall inside the image.
                        const Index lo = j == 0 ? 1 : 0, hi = j == w - 1 ? 2 : 3;
                        std::fill(cols, cols + lo * c, 0.0f);
                        std::copy(xs + (ii * w + j + lo - 1) * c, xs + (ii * w + j + hi - 1) * c, cols + lo * c);
                        std::fill(cols + hi * c, cols + row, 0.0f);
                    }
        }
    }

    /// 3x3 SAME stride-1 conv + bias + ReLU of x (b, h, w, cin) into y (b, h, w, cout), or,
    /// when a pool follows, its 2x2 max pool into y (b, h/2, w/2, cout). The im2col matrix is
    /// built for a few patches at a time (>= 1024 output rows per GEMM), so its size does not
    /// grow with the chunk; a pooled conv's output goes through a buffer of one such group and
    /// is pooled group by group (the same products: conv1's full output, 1.5 MB per patch,
    /// never exists for the whole chunk).
    void conv(int k, const float* x, Index b, Index h, Index w, float* y, VggishWorkspace& ws) const {
        const Index cin = k == 0 ? 1 : arch_.conv[std::size_t(k) - 1], cout = arch_.conv[std::size_t(k)];
        const Index pixels = h * w, window = 9 * cin;
        const Index group = std::min(b, std::max<Index>(1, (1024 + pixels - 1) / pixels));
        const bool pooled = pools_after(k);
        ws.cols_.resize(Shape{group * pixels, window});
        if (pooled) ws.pre_pool_.resize(Shape{group * pixels * cout});  // grows only
        const MatrixRef<const float> wm(conv_w_[std::size_t(k)].data(), window, cout);
        const GemmBackend backend = conv_backend();
        for (Index s = 0; s < b; s += group) {
            const Index n = std::min(group, b - s), m = n * pixels;
            im2col3x3(x + s * pixels * cin, n, h, w, cin, ws.cols_.data());
            MatrixRef<float> ym(pooled ? ws.pre_pool_.data() : y + s * pixels * cout, m, cout);
            gemm_with<float>(backend, Trans::No, Trans::No, 1.0f, MatrixRef<const float>(ws.cols_.data(), m, window), wm,
                             0.0f, ym);
            bias_act(ym.data, m, cout, conv_b_[std::size_t(k)].data(), true);
            if (pooled) pool(ym.data, n, h, w, cout, y + s * (pixels / 4) * cout);
        }
    }

    /// 2x2 stride-2 max pool of x (b, h, w, c) into y (b, h/2, w/2, c); h and w are even.
    static void pool(const float* x, Index b, Index h, Index w, Index c, float* y) {
        const Index oh = h / 2, ow = w / 2, row = w * c;
        for (Index s = 0; s < b; ++s)
            for (Index i = 0; i < oh; ++i) {
                const float* top = x + (s * h + 2 * i) * row;
                const float* bottom = top + row;
                for (Index j = 0; j < ow; ++j, y += c) {
                    const float* t = top + 2 * j * c;
                    const float* u = bottom + 2 * j * c;
                    for (Index ch = 0; ch < c; ++ch)
                        y[ch] = std::max(std::max(t[ch], t[ch + c]), std::max(u[ch], u[ch + c]));
                }
            }
    }

    void forward_chunk(TensorView<const float> x, TensorView<float> out, VggishWorkspace& ws) const {
        const Index b = x.dim(0);
        Index h = kVggishFrames, w = kVggishBands;
        ws.a_.resize(Shape{b * most_});
        ws.b_.resize(Shape{b * most_});
        float* cur = ws.a_.data();
        float* next = ws.b_.data();
        const float* in = x.data();
        for (int k = 0; k < 6; ++k) {
            conv(k, in, b, h, w, next, ws);  // pooled too where a pool follows
            std::swap(cur, next);
            in = cur;
            if (pools_after(k)) h /= 2, w /= 2;
        }
        // cur holds (b, 6, 4, conv4_2): row-major, the (h, w, c) flatten fc1_1 expects.
        Index f_in = arch_.flat_size();
        for (int k = 0; k < 3; ++k) {
            const Index f_out = arch_.fc[std::size_t(k)];
            float* dst = k == 2 ? out.data() : next;
            // y = x W^T as x times the stored (in, out) transpose: a plain product, so no backend
            // keeps a per-thread transposed copy of the weight (the weights are shared).
            gemm<float>(Trans::No, Trans::No, 1.0f, MatrixRef<const float>(cur, b, f_in),
                        MatrixRef<const float>(fc_wt_[std::size_t(k)].data(), f_in, f_out), 0.0f,
                        MatrixRef<float>(dst, b, f_out));
            bias_act(dst, b, f_out, fc_b_[std::size_t(k)].data(), k < 2 || arch_.final_relu);
            std::swap(cur, next);
            f_in = f_out;
        }
    }

    VggishArchitecture arch_;
    std::array<Tensor<float>, 6> conv_w_, conv_b_;
    std::array<Tensor<float>, 3> fc_wt_, fc_b_;  ///< weights (in, out): transposed at load
    VggishPostprocessor post_;
    Index most_ = 1;  ///< floats of the largest activation of one patch
};

}  // namespace polytag::audio
