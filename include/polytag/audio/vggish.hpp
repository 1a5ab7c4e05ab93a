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
// per thread. The forward runs the conv stack one patch at a time (im2col + one GEMM per conv:
// a patch's products are already large enough to run near the FMA peak, and the buffers stay
// a few MB) and the FC layers on chunks of up to VggishWorkspace::max_batch patches (default
// 64): the FC layers are bound by reading their weights from memory (fc1_1 alone is 201 MB),
// so the more patches share one pass over them, the cheaper each patch. The FC weights are kept
// as column panels (kVggishFcPanel columns each, contiguous), which streams them at close to
// the memory's bandwidth. The products run on the calling thread (libxsmm where built in,
// otherwise polytag::gemm's choice on the BLAS pool that polytag::set_num_threads sizes).
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
#include "polytag/nn/conv2d.hpp"
#include "polytag/tensor/kernels.hpp"
#include "polytag/tensor/tensor.hpp"

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
// A chunk's FC buffers stay under this (fewer patches per chunk for wide files).
constexpr std::size_t kVggishChunkBytes = std::size_t(64) << 20;
// Columns per panel of an FC weight (benchmarks/kernels/vggish.cpp, BM_vggish_fc_panel).
constexpr Index kVggishFcPanel = 32;

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

/// The buffers of one forward pass: one patch's conv activations and im2col matrix, and a
/// chunk's FC inputs and outputs. Not shared between threads; sized on first use for the model
/// it serves and reused afterwards (no allocation per call after the first).
class VggishWorkspace {
public:
    /// max_batch: patches per FC chunk (the FC weights are read once per chunk).
    explicit VggishWorkspace(Index max_batch = 64) : max_batch_(max_batch) {
        if (max_batch < 1)
            throw ValueError("polytag::audio::VggishWorkspace: max_batch must be >= 1, got " + std::to_string(max_batch));
    }
    Index max_batch() const { return max_batch_; }

private:
    friend class Vggish;
    Index max_batch_;
    Tensor<float> a_, b_, cols_, pre_pool_;  // one patch
    Tensor<float> fc_a_, fc_b_;              // one chunk
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
            v.fc_panels_[k] = read_panels(r, path, std::string(vggish_fc_names()[k]) + ".weight");
            v.fc_b_[k] = read(std::string(vggish_fc_names()[k]) + ".bias");
        }
        v.post_ = VggishPostprocessor(read("pca_eigen_vectors"), read("pca_means"));
        // One patch's largest activation (a pool's output or an unpooled conv's: a pooled conv's
        // full output only ever exists in the pre-pool buffer), im2col matrix and pre-pool output.
        Index hh = kVggishFrames, ww = kVggishBands, cin = 1;
        for (std::size_t k = 0; k < 6; ++k) {
            const Index cout = v.arch_.conv[k];
            v.most_cols_ = std::max(v.most_cols_, hh * ww * 9 * cin);
            if (pools_after(int(k))) {
                v.most_pre_pool_ = std::max(v.most_pre_pool_, hh * ww * cout);
                hh /= 2, ww /= 2;
            }
            v.most_ = std::max(v.most_, hh * ww * cout);
            cin = cout;
        }
        v.most_fc_ = std::max({v.arch_.flat_size(), v.arch_.fc[0], v.arch_.fc[1]});
        return v;
    }

    const VggishArchitecture& architecture() const { return arch_; }
    Index embedding_size() const { return arch_.embedding_size(); }
    const VggishPostprocessor& postprocessor() const { return post_; }

    /// Conv layer k (0..5): weight (3, 3, in, out) HWIO as polytag::Conv2d, bias (out).
    const Tensor<float>& conv_weight(int k) const { return conv_w_.at(std::size_t(k)); }
    const Tensor<float>& conv_bias(int k) const { return conv_b_.at(std::size_t(k)); }
    /// FC layer k (0..2): weight (out, in) as in the file and polytag::Dense (a copy: the
    /// forward keeps it as column panels of its transpose; 201 MB for the official fc1_1). Bias (out).
    Tensor<float> fc_weight(int k) const {
        const Tensor<float>& p = fc_panels_.at(std::size_t(k));
        const Index out = arch_.fc.at(std::size_t(k)), in = p.size() / std::max<Index>(1, out);
        Tensor<float> w(Shape{out, in});
        for (Index o = 0; o < out; ++o)
            for (Index i = 0; i < in; ++i) w(o, i) = p[panel_index(o, i, in, out)];
        return w;
    }
    const Tensor<float>& fc_bias(int k) const { return fc_b_.at(std::size_t(k)); }

    /// Raw embeddings: patches (N, 96, 64) -> out (N, E). N may be 0. Throws ShapeError on
    /// wrong shapes and ValueError on a non-finite input value (naming the patch).
    void embed(TensorView<const float> patches, TensorView<float> out, VggishWorkspace& ws) const {
        check_patches(patches);
        const Index n = patches.dim(0), e = embedding_size();
        if (out.shape() != Shape{n, e})
            throw ShapeError("polytag::audio::Vggish::embed: output is " + out.shape().str() + ", expected " +
                             Shape{n, e}.str());
        // A chunk's FC buffers (two of most_fc_ floats per patch) stay under kVggishChunkBytes.
        const Index chunk = std::min(ws.max_batch(), std::max<Index>(1, Index(kVggishChunkBytes / (8 * most_fc_))));
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

    /// Where element (o, i) of an FC weight (out, in) lies in its panel layout: panel j = o / P
    /// holds the transpose's columns [jP, jP + w) as a contiguous (in, w) row-major block, w = P
    /// except for a narrower last panel.
    static Index panel_index(Index o, Index i, Index in, Index out) {
        const Index j = o / kVggishFcPanel, w = std::min(kVggishFcPanel, out - j * kVggishFcPanel);
        return j * kVggishFcPanel * in + i * w + (o - j * kVggishFcPanel);
    }

    /// An FC weight entry (out, in), float32 (its header already checked), read into the panel
    /// layout the forward uses. The data streams through a buffer of a few lines (rows of the
    /// file's order, C or Fortran), so the 201 MB of the official fc1_1 are never held twice.
    /// The same errors as the other entries: "cannot be read (...)" for a broken stream, and the
    /// first non-finite element, numbered as in the file's (out, in) row-major order.
    static Tensor<float> read_panels(const io::NpzReader& r, const std::string& path, const std::string& n) {
        Tensor<float> t;
        std::uint64_t bad = ~std::uint64_t(0);
        try {
            const std::unique_ptr<io::detail::ByteSource> src = r.open_stream(n);
            const io::ArrayInfo info = io::detail::read_npy_header(*src);
            const Index out = info.shape.at(0), in = info.shape.at(1);
            t = Tensor<float>(Shape{out * in});
            // C order: a line is an output o (in values); Fortran order: an input i (out values).
            const Index lines = info.fortran_order ? in : out, len = info.fortran_order ? out : in;
            constexpr Index kBlock = 32;
            std::vector<float> buf(std::size_t(std::min(kBlock, lines) * len));
            for (Index l0 = 0; l0 < lines; l0 += kBlock) {
                const Index nl = std::min(kBlock, lines - l0);
                src->read_exact(buf.data(), std::uint64_t(nl * len) * 4, "array data");
                if (info.big_endian)
                    io::detail::swap_bytes_inplace(reinterpret_cast<unsigned char*>(buf.data()), std::size_t(nl * len), 4);
                for (Index l = 0; l < nl; ++l)
                    for (Index e = 0; e < len; ++e) {
                        const float x = buf[std::size_t(l * len + e)];
                        const Index o = info.fortran_order ? e : l0 + l, i = info.fortran_order ? l0 + l : e;
                        if (!std::isfinite(x))
                            bad = std::min(bad, std::uint64_t(o) * std::uint64_t(in) + std::uint64_t(i));
                        t[panel_index(o, i, in, out)] = x;
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

    /// One patch's 3x3 SAME stride-1 conv + bias + ReLU of x (h, w, cin) into y (h, w, cout)
    /// or, when a pool follows, through the pre-pool buffer into its 2x2 max pool y (h/2, w/2,
    /// cout): im2col (Conv2d's, nn/conv2d.hpp) and one GEMM against the shared HWIO weight.
    void conv(int k, const float* x, Index h, Index w, float* y, VggishWorkspace& ws) const {
        const Index cin = k == 0 ? 1 : arch_.conv[std::size_t(k) - 1], cout = arch_.conv[std::size_t(k)];
        const Index pixels = h * w, window = 9 * cin;
        const bool pooled = pools_after(k);
        const polytag::detail::ConvGeometry g{h, w, h, w, 1, 1};
        polytag::detail::im2col(x, 0, pixels, cin, g, Size2d{3, 3}, Size2d{1, 1}, ws.cols_.data());
        MatrixRef<float> ym(pooled ? ws.pre_pool_.data() : y, pixels, cout);
        gemm<float>(Trans::No, Trans::No, 1.0f, MatrixRef<const float>(ws.cols_.data(), pixels, window),
                    MatrixRef<const float>(conv_w_[std::size_t(k)].data(), window, cout), 0.0f, ym);
        bias_act(ym.data, pixels, cout, conv_b_[std::size_t(k)].data(), true);
        if (pooled) pool(ym.data, h, w, cout, y);
    }

    /// 2x2 stride-2 max pool of x (h, w, c) into y (h/2, w/2, c); h and w are even.
    static void pool(const float* x, Index h, Index w, Index c, float* y) {
        const Index oh = h / 2, ow = w / 2, row = w * c;
        for (Index i = 0; i < oh; ++i) {
            const float* top = x + 2 * i * row;
            const float* bottom = top + row;
            for (Index j = 0; j < ow; ++j, y += c) {
                const float* t = top + 2 * j * c;
                const float* u = bottom + 2 * j * c;
                for (Index ch = 0; ch < c; ++ch) y[ch] = std::max(std::max(t[ch], t[ch + c]), std::max(u[ch], u[ch + c]));
            }
        }
    }

    /// y (b, out) = x (b, in) W^T + bias (ReLU'd or not), W kept as column panels: one product
    /// per panel, each streaming its (in, w) block once for the whole chunk.
    void fc(int k, const float* x, Index b, Index in, float* y, bool relu) const {
        const Index out = arch_.fc[std::size_t(k)];
        const float* panels = fc_panels_[std::size_t(k)].data();
        const MatrixRef<const float> xm(x, b, in);
        for (Index j0 = 0; j0 < out; j0 += kVggishFcPanel) {
            const Index w = std::min(kVggishFcPanel, out - j0);
            gemm<float>(Trans::No, Trans::No, 1.0f, xm, MatrixRef<const float>(panels + j0 * in, in, w), 0.0f,
                        MatrixRef<float>(y + j0, b, w, out));
        }
        bias_act(y, b, out, fc_b_[std::size_t(k)].data(), relu);
    }

    void forward_chunk(TensorView<const float> x, TensorView<float> out, VggishWorkspace& ws) const {
        const Index b = x.dim(0), flat = arch_.flat_size();
        ws.a_.resize(Shape{most_});
        ws.b_.resize(Shape{most_});
        ws.cols_.resize(Shape{most_cols_});
        ws.pre_pool_.resize(Shape{most_pre_pool_});
        ws.fc_a_.resize(Shape{b * most_fc_});
        ws.fc_b_.resize(Shape{b * most_fc_});
        for (Index s = 0; s < b; ++s) {
            const float* in = x.data() + s * kVggishFrames * kVggishBands;
            float* cur = ws.a_.data();
            float* next = ws.b_.data();
            Index h = kVggishFrames, w = kVggishBands;
            for (int k = 0; k < 6; ++k) {
                // The last conv writes straight into the patch's row of the FC input: its
                // (6, 4, conv4_2) output, row-major, is the (h, w, c) flatten fc1_1 expects.
                conv(k, in, h, w, k == 5 ? ws.fc_a_.data() + s * flat : next, ws);
                if (pools_after(k)) h /= 2, w /= 2;
                std::swap(cur, next);
                in = cur;
            }
        }
        fc(0, ws.fc_a_.data(), b, flat, ws.fc_b_.data(), true);
        fc(1, ws.fc_b_.data(), b, arch_.fc[0], ws.fc_a_.data(), true);
        fc(2, ws.fc_a_.data(), b, arch_.fc[1], out.data(), arch_.final_relu);
    }

    VggishArchitecture arch_;
    std::array<Tensor<float>, 6> conv_w_, conv_b_;
    std::array<Tensor<float>, 3> fc_panels_, fc_b_;  ///< weights: column panels of (in, out), read_panels
    VggishPostprocessor post_;
    Index most_ = 1;           ///< floats of one patch's largest conv activation (a pool's output)
    Index most_cols_ = 1;      ///< floats of one patch's largest im2col matrix
    Index most_pre_pool_ = 1;  ///< floats of one patch's largest pooled conv output, before the pool
    Index most_fc_ = 1;        ///< floats per patch of a chunk's FC buffers (flat input or FC output)
};

}  // namespace polytag::audio
