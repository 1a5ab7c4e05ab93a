#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <vector>

#include "nn/nn_test_util.hpp"
#include "polytag/nn/activation.hpp"
#include "polytag/nn/conv2d.hpp"
#include "polytag/nn/dense.hpp"
#include "polytag/nn/flatten.hpp"
#include "polytag/nn/max_pool2d.hpp"
#include "polytag/nn/sequential.hpp"

using namespace polytag;
using Catch::Matchers::Contains;

// tests/nn/test_no_allocation.cpp includes support/counting_allocator.hpp, which replaces
// operator new for the whole nn test program; its counter is defined there (only one TU may
// include the header).
namespace polytag::test::detail {
extern std::atomic<long> g_new_calls;
}

namespace {

struct ConvCase {
    Index h, w, cin, cout;
    Size2d kernel, stride;
    Padding padding;
};

std::string describe(const ConvCase& c) {
    return std::to_string(c.h) + "x" + std::to_string(c.w) + "x" + std::to_string(c.cin) + " -> " +
           std::to_string(c.cout) + ", kernel " + c.kernel.str() + ", stride " + c.stride.str() + ", " +
           padding_name(c.padding);
}

/// TensorFlow's output size and leading pad, written out independently of nn/padding.hpp.
void tf_axis(Index in, Index k, Index s, Padding p, Index& out, Index& before) {
    if (p == Padding::Valid) {
        out = (in - k) / s + 1;
        before = 0;
    } else {
        out = (in + s - 1) / s;
        const Index total = std::max<Index>((out - 1) * s + k - in, 0);
        before = total / 2;
    }
}

/// y(b, oi, oj, o) = bias(o) + sum over the window of x * w, zeros outside the image.
Tensor<double> reference_conv(const Tensor<double>& x, const Tensor<double>& w, const Tensor<double>* bias,
                              Size2d stride, Padding padding) {
    const Index batch = x.dim(0), h = x.dim(1), wd = x.dim(2), cin = x.dim(3);
    const Index kh = w.dim(0), kw = w.dim(1), cout = w.dim(3);
    Index oh, ow, top, left;
    tf_axis(h, kh, stride.h, padding, oh, top);
    tf_axis(wd, kw, stride.w, padding, ow, left);
    Tensor<double> y(Shape{batch, oh, ow, cout}, 0.0);
    for (Index b = 0; b < batch; ++b)
        for (Index oi = 0; oi < oh; ++oi)
            for (Index oj = 0; oj < ow; ++oj)
                for (Index o = 0; o < cout; ++o) {
                    double s = bias ? (*bias)[o] : 0.0;
                    for (Index ki = 0; ki < kh; ++ki)
                        for (Index kj = 0; kj < kw; ++kj) {
                            const Index i = oi * stride.h - top + ki, j = oj * stride.w - left + kj;
                            if (i < 0 || i >= h || j < 0 || j >= wd) continue;
                            for (Index c = 0; c < cin; ++c) s += x(b, i, j, c) * w(ki, kj, c, o);
                        }
                    y(b, oi, oj, o) = s;
                }
    return y;
}

const std::vector<ConvCase> kCases = {
    {5, 7, 3, 4, {3, 3}, {1, 1}, Padding::Same},  {5, 7, 3, 4, {3, 3}, {1, 1}, Padding::Valid},
    {6, 8, 2, 3, {3, 3}, {2, 2}, Padding::Same},  {7, 9, 2, 3, {3, 3}, {2, 2}, Padding::Same},
    {7, 9, 2, 3, {3, 3}, {2, 2}, Padding::Valid}, {5, 6, 3, 2, {1, 1}, {1, 1}, Padding::Same},
    {5, 6, 3, 2, {1, 1}, {1, 1}, Padding::Valid}, {5, 7, 3, 2, {1, 1}, {2, 2}, Padding::Same},
    {6, 5, 2, 3, {2, 3}, {1, 1}, Padding::Same},  {6, 5, 2, 3, {2, 3}, {2, 1}, Padding::Same},
    {7, 6, 2, 3, {2, 3}, {2, 2}, Padding::Valid}, {4, 4, 1, 5, {3, 3}, {1, 1}, Padding::Same},
    {3, 2, 2, 2, {3, 3}, {1, 1}, Padding::Same},  // kernel larger than the width
    {1, 1, 3, 2, {3, 3}, {2, 2}, Padding::Same},  // a single pixel
};

}  // namespace

TEST_CASE("Conv2d output sizes and padding follow TensorFlow", "[nn][conv]") {
    // SAME: ceil(in / stride); VALID: (in - k) / stride + 1.
    CHECK(Conv2d<float>(1, 2, {3, 3}).output_shape(Shape{96, 64, 1}) == Shape{96, 64, 2});
    CHECK(Conv2d<float>(1, 2, {3, 3}, {2, 2}).output_shape(Shape{7, 6, 1}) == Shape{4, 3, 2});
    CHECK(Conv2d<float>(1, 2, {3, 3}, {1, 1}, Padding::Valid).output_shape(Shape{7, 6, 1}) == Shape{5, 4, 2});
    CHECK(Conv2d<float>(1, 2, {2, 3}, {2, 2}, Padding::Valid).output_shape(Shape{7, 6, 1}) == Shape{3, 2, 2});
    // An even input at stride 2 pads 1 in total: nothing on top, 1 at the bottom. Input
    // 0 1 2 3 (one channel), kernel 3 of ones: windows [0 1 2] and [2 3 pad] -> 3, 5.
    Conv2d<double> conv(1, 1, {3, 1}, {2, 1}, Padding::Same, false);
    conv.weight().fill(1.0);
    Tensor<double> x(Shape{1, 4, 1, 1});
    for (Index i = 0; i < 4; ++i) x[i] = double(i);
    auto y = conv.forward(x, Mode::Eval);
    REQUIRE(y.shape() == Shape{1, 2, 1, 1});
    CHECK(y[0] == 3.0);
    CHECK(y[1] == 5.0);
}

TEST_CASE("Conv2d forward matches a plain loop", "[nn][conv]") {
    Rng rng(101);
    for (const ConvCase& c : kCases)
        for (bool bias : {true, false}) {
            INFO(describe(c) << (bias ? ", bias" : ", no bias"));
            Conv2d<double> conv(c.cin, c.cout, c.kernel, c.stride, c.padding, bias);
            test::randomize_parameters(conv, rng);
            Tensor<double> x(Shape{3, c.h, c.w, c.cin});
            test::fill_uniform(x, rng);
            const Tensor<double> want = reference_conv(x, conv.weight(), bias ? &conv.bias() : nullptr, c.stride,
                                                       c.padding);
            auto y = conv.forward(x, Mode::Eval);
            REQUIRE(y.shape() == want.shape());
            CHECK(conv.output_shape(Shape{c.h, c.w, c.cin}) == want.shape().drop_front());
            double worst = 0;
            for (Index i = 0; i < y.size(); ++i) worst = std::max(worst, std::abs(y[i] - want[i]));
            CHECK(worst < 1e-12);
        }
}

TEST_CASE("Conv2d in float matches the double loop", "[nn][conv]") {
    Rng rng(102);
    const ConvCase c{9, 7, 5, 6, {3, 3}, {1, 1}, Padding::Same};
    Conv2d<float> conv(c.cin, c.cout, c.kernel);
    conv.init(rng);
    test::randomize_parameters(conv, rng);
    Tensor<float> x(Shape{2, c.h, c.w, c.cin});
    test::fill_uniform(x, rng);
    Tensor<double> xd(x.shape()), wd(conv.weight().shape()), bd(conv.bias().shape());
    for (Index i = 0; i < x.size(); ++i) xd[i] = x[i];
    for (Index i = 0; i < wd.size(); ++i) wd[i] = conv.weight()[i];
    for (Index i = 0; i < bd.size(); ++i) bd[i] = conv.bias()[i];
    const Tensor<double> want = reference_conv(xd, wd, &bd, c.stride, c.padding);
    auto y = conv.forward(x, Mode::Eval);
    for (Index i = 0; i < y.size(); ++i) CHECK(y[i] == Approx(want[i]).margin(1e-5));
}

TEST_CASE("Conv2d gradients match central differences", "[nn][conv][gradcheck]") {
    Rng rng(103);
    for (const ConvCase& c : kCases)
        for (bool bias : {true, false}) {
            INFO(describe(c) << (bias ? ", bias" : ", no bias"));
            Conv2d<double> conv(c.cin, c.cout, c.kernel, c.stride, c.padding, bias);
            test::randomize_parameters(conv, rng);
            Tensor<double> x(Shape{2, c.h, c.w, c.cin});
            test::fill_uniform(x, rng);
            // The loss is linear in x and in the weights, so central differences have no
            // truncation error and a larger step only shrinks the rounding error.
            auto res = test::gradcheck(conv, x, 7, 1e-4);
            INFO(res.worst);
            CHECK(res.max_rel_error < 1e-6);
        }
}

TEST_CASE("Conv2d backward without dx still writes the parameter gradients", "[nn][conv]") {
    Rng rng(104);
    for (Size2d kernel : {Size2d{3, 3}, Size2d{1, 1}}) {
        Conv2d<double> conv(2, 3, kernel);
        test::randomize_parameters(conv, rng);
        Tensor<double> x(Shape{2, 5, 4, 2});
        test::fill_uniform(x, rng);
        auto y = conv.forward(x, Mode::Train);
        Tensor<double> dy(y.shape());
        test::fill_uniform(dy, rng);
        ParameterList<double> ps;
        conv.parameters(ps, "conv.");
        REQUIRE(ps.size() == 2);
        CHECK(ps[0].name == "conv.weight");
        CHECK(ps[1].name == "conv.bias");
        CHECK(conv.backward(dy, true).shape() == x.shape());
        const Tensor<double> dw = Tensor<double>::copy_of(ps[0].grad), db = Tensor<double>::copy_of(ps[1].grad);
        for (auto& g : ps[0].grad) g = 0;
        for (auto& g : ps[1].grad) g = 0;
        CHECK(conv.backward(dy, false).data() == nullptr);
        CHECK(ps[0].grad.vector() == dw.vector());
        CHECK(ps[1].grad.vector() == db.vector());
    }
    Conv2d<float> no_bias(2, 3, {3, 3}, {1, 1}, Padding::Same, false);
    ParameterList<float> ps;
    no_bias.parameters(ps, "");
    REQUIRE(ps.size() == 1);
    CHECK(ps[0].value.shape() == Shape{3, 3, 2, 3});
}

TEST_CASE("Conv2d init is deterministic and He-scaled over kh*kw*in", "[nn][conv]") {
    Conv2d<float> a(16, 32, {3, 3}), b(16, 32, {3, 3});
    Rng r1(5), r2(5);
    a.init(r1);
    b.init(r2);
    CHECK(a.weight().vector() == b.weight().vector());
    CHECK(a.weight().array().square().mean() == Approx(2.0 / (9 * 16)).epsilon(0.05));
    CHECK(a.bias().array().abs().maxCoeff() == 0.0f);
    Conv2d<float> g(16, 32, {3, 3}, {1, 1}, Padding::Same, true, Init::Glorot);
    g.init(r1);
    CHECK(g.weight().array().abs().maxCoeff() <= float(std::sqrt(6.0 / (9 * 16 + 9 * 32))));
}

TEST_CASE("Conv2d rejects bad shapes and names them", "[nn][conv]") {
    CHECK_THROWS_AS(Conv2d<float>(0, 2, {3, 3}), ShapeError);
    CHECK_THROWS_AS(Conv2d<float>(2, 2, {0, 3}), ShapeError);
    CHECK_THROWS_AS(Conv2d<float>(2, 2, {3, 3}, {1, 0}), ShapeError);
    Conv2d<float> conv(4, 2, {3, 3});
    CHECK_THROWS_WITH(conv.output_shape(Shape{5, 5, 3}), Contains("(5, 5, 3)") && Contains("4"));
    CHECK_THROWS_AS(conv.output_shape(Shape{5, 4}), ShapeError);
    CHECK_THROWS_WITH(conv.forward(Tensor<float>(Shape{2, 5, 5, 3}), Mode::Eval), Contains("(2, 5, 5, 3)"));
    CHECK_THROWS_WITH(conv.forward(Tensor<float>(Shape{2, 5, 4}), Mode::Eval), Contains("(2, 5, 4)"));
    Conv2d<float> valid(4, 2, {3, 3}, {1, 1}, Padding::Valid);
    CHECK_THROWS_WITH(valid.output_shape(Shape{2, 5, 4}), Contains("(2, 5, 4)") && Contains("VALID"));
    Tensor<float> x(Shape{2, 5, 5, 4}, 1.f);
    conv.forward(x, Mode::Train);
    CHECK_THROWS_WITH(conv.backward(Tensor<float>(Shape{2, 5, 5, 3})), Contains("(2, 5, 5, 3)") && Contains("(2, 5, 5, 2)"));
}

TEST_CASE("Conv2d reuses its buffers for batches up to the largest seen", "[nn][conv]") {
    for (Size2d kernel : {Size2d{3, 3}, Size2d{1, 1}}) {
        Conv2d<float> conv(3, 4, kernel, {1, 1});
        Rng rng(105);
        conv.init(rng);
        Tensor<float> x(Shape{8, 6, 5, 3});
        test::fill_uniform(x, rng);
        auto y = conv.forward(x, Mode::Train);
        Tensor<float> dy(y.shape(), 1.f);
        const float* y0 = y.data();
        const float* dx0 = conv.backward(dy).data();
        for (Index batch : {8, 3, 1, 8}) {
            CHECK(conv.forward(x.rows(0, batch), Mode::Train).data() == y0);
            auto dx = conv.backward(dy.rows(0, batch));
            CHECK(dx.data() == dx0);
            CHECK(dx.shape() == Shape{batch, 6, 5, 3});
        }
    }
}

namespace {
/// operator new calls over forward + backward at batches 6, 2, 1, 6 after one step at 6.
template <typename Layer>
long allocations_after_warmup(Layer& layer, Shape per_sample) {
    using T = typename Layer::Scalar;
    Rng rng(106);
    layer.init(rng);
    Tensor<T> x(per_sample.prepend(6));
    test::fill_uniform(x, rng);
    Tensor<T> dy(layer.output_shape(per_sample).prepend(6), T(0.5));
    layer.forward(x, Mode::Train);
    layer.backward(dy, true);
    const long before = test::detail::g_new_calls.load();
    for (Index batch : {6, 2, 1, 6})
        for (Mode mode : {Mode::Train, Mode::Eval}) {
            layer.forward(x.rows(0, batch), mode);
            layer.backward(dy.rows(0, batch), true);
            layer.backward(dy.rows(0, batch), false);
        }
    return test::detail::g_new_calls.load() - before;
}
}  // namespace

TEST_CASE("Conv2d, MaxPool2d and Flatten do not allocate after their largest batch", "[nn][conv][allocation]") {
    Conv2d<float> conv3(3, 4, {3, 3}), conv1(3, 4, {1, 1}), strided(3, 4, {2, 3}, {2, 2}, Padding::Valid);
    CHECK(allocations_after_warmup(conv3, Shape{7, 6, 3}) == 0);
    CHECK(allocations_after_warmup(conv1, Shape{7, 6, 3}) == 0);
    CHECK(allocations_after_warmup(strided, Shape{7, 6, 3}) == 0);
    MaxPool2d<float> pool({2, 2}, {2, 2}, Padding::Same);
    CHECK(allocations_after_warmup(pool, Shape{7, 6, 3}) == 0);
    Flatten<float> flat;
    CHECK(allocations_after_warmup(flat, Shape{7, 6, 3}) == 0);
    Sequential net(Shape{8, 6, 1}, Conv2d<float>(1, 4, {3, 3}), Relu<float>(), MaxPool2d<float>({2, 2}, {2, 2}),
                   Conv2d<float>(4, 6, {3, 3}, {2, 2}), MaxPool2d<float>({2, 2}, {2, 2}, Padding::Same),
                   Flatten<float>(), Dense<float>(6, 3));
    CHECK(allocations_after_warmup(net, Shape{8, 6, 1}) == 0);
}

TEST_CASE("Conv2d -> ReLU -> MaxPool2d -> Flatten -> Dense composes in Sequential", "[nn][conv][gradcheck]") {
    // 9x7x2 -> conv 3x3 SAME -> 9x7x3 -> pool 2x2/2 SAME -> 5x4x3 -> conv 2x3/2 VALID -> 2x1x4
    // -> flatten 8 -> dense 2.
    Sequential net(Shape{9, 7, 2}, Conv2d<double>(2, 3, {3, 3}), Relu<double>(),
                   MaxPool2d<double>({2, 2}, {2, 2}, Padding::Same), Conv2d<double>(3, 4, {2, 3}, {2, 2}, Padding::Valid),
                   Flatten<double>(), Dense<double>(8, 2));
    CHECK(net.output_shape() == Shape{2});
    auto params = net.parameters();
    REQUIRE(params.size() == 6);
    CHECK(params[0].name == "0.weight");
    CHECK(params[0].value.shape() == Shape{3, 3, 2, 3});
    CHECK(params[3].name == "3.bias");
    CHECK(params[4].name == "5.weight");
    Rng rng(107);
    net.init(rng);
    test::randomize_parameters(net, rng, -0.5, 0.5);
    Tensor<double> x(Shape{3, 9, 7, 2});
    test::fill_away_from_zero(x, rng);
    auto res = test::gradcheck(net, x);
    INFO(res.worst);
    CHECK(res.max_rel_error < 1e-6);
    CHECK_THROWS_AS(Sequential(Shape{9, 7, 2}, Conv2d<double>(2, 3, {3, 3}), Flatten<double>(), Dense<double>(190, 2)),
                    ShapeError);
}

TEST_CASE("Conv2d forward and backward are the same when the window matrix is built in chunks", "[nn][conv]") {
    // 1 MB chunks of (9 * 64) doubles per row: a target of 227 output pixels. 16x16 outputs
    // (256 per sample) split into chunks of 128 (a divisor); 10x10 ones (100) into chunks of
    // two samples, the last one partial at batch 3; 13x19 ones (247 = 13 * 19, no divisor
    // near 227) into 227-row chunks that start in the middle of a sample. Backward is checked
    // against the adjoint written out as loops.
    struct Chunked {
        Index batch, out_h, out_w;
        Size2d stride;
    };
    Rng rng(108);
    for (const Chunked& c : {Chunked{2, 16, 16, {1, 1}}, Chunked{2, 16, 16, {2, 1}}, Chunked{3, 10, 10, {1, 1}},
                             Chunked{2, 13, 19, {1, 2}}}) {
        INFO("batch " << c.batch << ", output " << c.out_h << "x" << c.out_w << ", stride " << c.stride.str());
        const Index h = c.out_h * c.stride.h, w = c.out_w * c.stride.w, cin = 64, cout = 3;
        Index oh, ow, top, left;
        tf_axis(h, 3, c.stride.h, Padding::Same, oh, top);
        tf_axis(w, 3, c.stride.w, Padding::Same, ow, left);
        REQUIRE(oh == c.out_h);
        REQUIRE(ow == c.out_w);
        Conv2d<double> conv(cin, cout, {3, 3}, c.stride);
        test::randomize_parameters(conv, rng);
        Tensor<double> x(Shape{c.batch, h, w, cin});
        test::fill_uniform(x, rng);
        const Tensor<double> want = reference_conv(x, conv.weight(), &conv.bias(), c.stride, Padding::Same);
        auto y = conv.forward(x, Mode::Train);
        REQUIRE(y.shape() == Shape{c.batch, oh, ow, cout});
        double worst = 0;
        for (Index i = 0; i < y.size(); ++i) worst = std::max(worst, std::abs(y[i] - want[i]));
        CHECK(worst < 1e-12);

        Tensor<double> dy(y.shape());
        test::fill_uniform(dy, rng);
        Tensor<double> dx_want(x.shape(), 0.0), dw_want(conv.weight().shape(), 0.0), db_want(Shape{cout}, 0.0);
        for (Index b = 0; b < c.batch; ++b)
            for (Index oi = 0; oi < oh; ++oi)
                for (Index oj = 0; oj < ow; ++oj)
                    for (Index o = 0; o < cout; ++o) {
                        const double g = dy(b, oi, oj, o);
                        db_want[o] += g;
                        for (Index ki = 0; ki < 3; ++ki)
                            for (Index kj = 0; kj < 3; ++kj) {
                                const Index i = oi * c.stride.h - top + ki, j = oj * c.stride.w - left + kj;
                                if (i < 0 || i >= h || j < 0 || j >= w) continue;
                                for (Index ch = 0; ch < cin; ++ch) {
                                    dw_want(ki, kj, ch, o) += g * x(b, i, j, ch);
                                    dx_want(b, i, j, ch) += g * conv.weight()(ki, kj, ch, o);
                                }
                            }
                    }
        for (bool need_dx : {false, true}) {
            auto dx = conv.backward(dy, need_dx);
            ParameterList<double> ps;
            conv.parameters(ps, "");
            double dw_err = 0, db_err = 0, dx_err = 0;
            for (Index i = 0; i < dw_want.size(); ++i) dw_err = std::max(dw_err, std::abs(ps[0].grad[i] - dw_want[i]));
            for (Index i = 0; i < cout; ++i) db_err = std::max(db_err, std::abs(ps[1].grad[i] - db_want[i]));
            CHECK(dw_err < 1e-10);
            CHECK(db_err < 1e-10);
            if (!need_dx) continue;
            REQUIRE(dx.shape() == x.shape());
            for (Index i = 0; i < dx.size(); ++i) dx_err = std::max(dx_err, std::abs(dx[i] - dx_want[i]));
            CHECK(dx_err < 1e-10);
        }
    }
}
