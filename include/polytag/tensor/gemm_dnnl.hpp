#pragma once
// oneDNN backend of polytag::gemm (POLYTAG_USE_DNNL): the matmul primitive (brgemm kernels on
// AVX2 / AVX-512 / AMX), every transpose expressed by strides, alpha as an output scale and
// beta as a sum post-op. Primitives are created on first use of a shape and cached in one
// process-wide map (mutex-protected; the primitive itself is executed outside the lock and is
// safe to execute from several threads, each with its own stream and scratchpad).
//
// Not chosen by polytag::gemm's dispatch: oneDNN's execute() builds its argument map on the
// heap (7 allocations per call with libdnnl 2.6, counted with the tests' counting allocator),
// so this backend breaks polytag's no-allocation guarantee. Ask for it explicitly with
// gemm_with(GemmBackend::Dnnl, ...).
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "polytag/tensor/tensor.hpp"

namespace polytag::detail::dnnl_backend {

inline dnnl::engine& engine() {
    static dnnl::engine e(dnnl::engine::kind::cpu, 0);
    return e;
}

struct Entry {
    dnnl::matmul::primitive_desc pd;
    dnnl::matmul prim;
};

using Key = std::tuple<Index, Index, Index, bool, bool, Index, Index, Index, float, float>;

inline const Entry& entry(bool ta, bool tb, Index m, Index n, Index k, Index lda, Index ldb, Index ldc, float alpha,
                          float beta) {
    static std::mutex mu;
    static std::map<Key, std::unique_ptr<Entry>> cache;
    const Key key{m, n, k, ta, tb, lda, ldb, ldc, alpha, beta};
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(key);
    if (it != cache.end()) return *it->second;
    using dnnl::memory;
    const memory::desc a({m, k}, memory::data_type::f32, ta ? memory::dims{1, lda} : memory::dims{lda, 1});
    const memory::desc b({k, n}, memory::data_type::f32, tb ? memory::dims{1, ldb} : memory::dims{ldb, 1});
    const memory::desc c({m, n}, memory::data_type::f32, memory::dims{ldc, 1});
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    if (alpha != 1.0f) attr.set_output_scales(0, {alpha});
    if (beta != 0.0f) {
        dnnl::post_ops po;
        po.append_sum(beta);
        attr.set_post_ops(po);
    }
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, b, c), attr, engine());
    auto e = std::make_unique<Entry>(Entry{pd, dnnl::matmul(pd)});
    return *cache.emplace(key, std::move(e)).first->second;
}

/// Row-major C (m x n) = alpha op(A) op(B) + beta C through oneDNN matmul.
inline void gemm(bool ta, bool tb, Index m, Index n, Index k, float alpha, const float* a, Index lda, const float* b,
                 Index ldb, float beta, float* c, Index ldc) {
    const Entry& e = entry(ta, tb, m, n, k, lda, ldb, ldc, alpha, beta);
    thread_local dnnl::stream stream(engine());
    thread_local std::vector<std::uint8_t> scratch;
    const auto sp_desc = e.pd.scratchpad_desc();
    if (scratch.size() < sp_desc.get_size()) scratch.resize(sp_desc.get_size());
    using dnnl::memory;
    memory am(e.pd.src_desc(), engine(), const_cast<float*>(a));
    memory bm(e.pd.weights_desc(), engine(), const_cast<float*>(b));
    memory cm(e.pd.dst_desc(), engine(), c);
    memory sm(sp_desc, engine(), scratch.data());
    e.prim.execute(stream, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}, {DNNL_ARG_SCRATCHPAD, sm}});
    stream.wait();
}

}  // namespace polytag::detail::dnnl_backend
