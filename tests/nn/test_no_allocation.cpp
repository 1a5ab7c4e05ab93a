// Every nn layer stops allocating once it has run a batch as large as any that follows.
// This file replaces the global operator new/delete (all forms, including the
// std::align_val_t ones Tensor uses) with counting versions, for the whole nn test program;
// only the difference across a measured loop matters. malloc itself (Eigen temporaries,
// BLAS buffers) is counted by tests/optim/test_no_allocation.cpp on a whole training step.
#include <catch2/catch.hpp>

#include "support/counting_allocator.hpp"

#include "nn/nn_test_util.hpp"
#include "polytag/nn/activation.hpp"
#include "polytag/nn/attention_pool.hpp"
#include "polytag/nn/dense.hpp"
#include "polytag/nn/dropout.hpp"
#include "polytag/nn/layer_norm.hpp"
#include "polytag/nn/multi_head.hpp"
#include "polytag/nn/pooling.hpp"
#include "polytag/nn/quantized_dense.hpp"
#include "polytag/nn/sequential.hpp"

using namespace polytag;

namespace {
/// operator new calls over forward + backward at batches 16, 5, 1, 16 after one warm-up
/// step at 16, in both modes.
template <typename Layer>
long allocations_after_warmup(Layer& layer, Shape per_sample) {
    using T = typename Layer::Scalar;
    Rng rng(71);
    layer.init(rng);
    Tensor<T> x(per_sample.prepend(16));
    for (auto& v : x) v = T(rng.uniform(-1, 1));
    Tensor<T> dy(layer.output_shape(per_sample).prepend(16), T(0.5));
    layer.forward(x, Mode::Train);
    layer.backward(dy, true);
    const long before = test::operator_new_calls();
    for (Index batch : {16, 5, 1, 16})
        for (Mode mode : {Mode::Train, Mode::Eval}) {
            layer.forward(x.rows(0, batch), mode);
            layer.backward(dy.rows(0, batch), true);
            layer.backward(dy.rows(0, batch), false);
        }
    return test::operator_new_calls() - before;
}
}  // namespace

TEST_CASE("no layer allocates after its largest batch", "[nn][allocation]") {
    {
        Dense<float> l(8, 4);
        CHECK(allocations_after_warmup(l, Shape{3, 8}) == 0);
    }
    {
        Relu<float> a;
        LeakyRelu<float> b;
        Gelu<float> c;
        Sigmoid<float> d;
        Tanh<float> e;
        CHECK(allocations_after_warmup(a, Shape{3, 8}) == 0);
        CHECK(allocations_after_warmup(b, Shape{3, 8}) == 0);
        CHECK(allocations_after_warmup(c, Shape{3, 8}) == 0);
        CHECK(allocations_after_warmup(d, Shape{3, 8}) == 0);
        CHECK(allocations_after_warmup(e, Shape{3, 8}) == 0);
    }
    {
        Dropout<float> l(0.3, 4);
        CHECK(allocations_after_warmup(l, Shape{3, 8}) == 0);
    }
    {
        LayerNorm<float> l(8);
        CHECK(allocations_after_warmup(l, Shape{3, 8}) == 0);
    }
    {
        MeanPool<float> a;
        MaxPool<float> b;
        AttentionPool<float> c(8), d(8, 5);
        CHECK(allocations_after_warmup(a, Shape{3, 8}) == 0);
        CHECK(allocations_after_warmup(b, Shape{3, 8}) == 0);
        CHECK(allocations_after_warmup(c, Shape{3, 8}) == 0);
        CHECK(allocations_after_warmup(d, Shape{3, 8}) == 0);
    }
    {
        MultiHead<float, 5> shared0(8), shared2(8, {6, 4}), per_task0(8), per_task2(8, {6, 4});
        CHECK(allocations_after_warmup(shared0, Shape{8}) == 0);
        CHECK(allocations_after_warmup(shared2, Shape{8}) == 0);
        CHECK(allocations_after_warmup(per_task0, Shape{5, 8}) == 0);
        CHECK(allocations_after_warmup(per_task2, Shape{5, 8}) == 0);
    }
    {
        Sequential net(Shape{10, 16}, Dense<float>(16, 12), LayerNorm<float>(12), Gelu<float>(), Dropout<float>(0.2),
                       AttentionPool<float>(12, 5), MultiHead<float, 5>(12, {8}), Sigmoid<float>());
        CHECK(allocations_after_warmup(net, Shape{10, 16}) == 0);
    }
}

TEST_CASE("QuantizedDense does not allocate after its largest batch, with every kernel", "[nn][allocation][quantized]") {
    Dense<float> d(128, 40);
    Rng rng(3);
    d.init(rng);
    QuantizedDense q = QuantizedDense::from_dense(d, 1.0f / 255.0f, 0.0f, true);
    Tensor<std::uint8_t> x(Shape{130, 128});
    for (auto& v : x) v = std::uint8_t(rng.below(256));
    for (U8S8Kernel k : {U8S8Kernel::Scalar, U8S8Kernel::Avx2, U8S8Kernel::Vnni512, U8S8Kernel::Xsmm}) {
        if (!u8s8_kernel_available(k)) continue;
        INFO(u8s8_kernel_name(k));
        q.forward(x, k);
        const long before = test::operator_new_calls();
        for (Index batch : {130, 64, 5, 1, 130}) q.forward(x.rows(0, batch), k);
        CHECK(test::operator_new_calls() - before == 0);
    }
}

TEST_CASE("the allocation counter sees Tensor's aligned allocations", "[nn][allocation]") {
    const long before = test::operator_new_calls();
    Tensor<float> t(Shape{4, 4});
    t.resize(Shape{8, 8});
    CHECK(test::operator_new_calls() - before == 2);
}
