#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "nn/nn_test_util.hpp"
#include "polytag/nn/max_pool2d.hpp"

using namespace polytag;
using Catch::Matchers::Contains;

namespace {

struct PoolCase {
    Index h, w, c;
    Size2d kernel, stride;
    Padding padding;
};

/// Max over the in-image part of each window (TF geometry written out), and the first winner.
Tensor<double> reference_pool(const Tensor<double>& x, Size2d k, Size2d s, Padding p, Tensor<Index>& winner) {
    const Index batch = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3);
    auto axis = [&](Index in, Index kk, Index ss, Index& out, Index& before) {
        if (p == Padding::Valid) {
            out = (in - kk) / ss + 1;
            before = 0;
        } else {
            out = (in + ss - 1) / ss;
            before = std::max<Index>((out - 1) * ss + kk - in, 0) / 2;
        }
    };
    Index oh, ow, top, left;
    axis(h, k.h, s.h, oh, top);
    axis(w, k.w, s.w, ow, left);
    Tensor<double> y(Shape{batch, oh, ow, c});
    winner.resize(y.shape());
    for (Index b = 0; b < batch; ++b)
        for (Index oi = 0; oi < oh; ++oi)
            for (Index oj = 0; oj < ow; ++oj)
                for (Index ch = 0; ch < c; ++ch) {
                    double best = -std::numeric_limits<double>::infinity();
                    Index at = -1;
                    for (Index ki = 0; ki < k.h; ++ki)
                        for (Index kj = 0; kj < k.w; ++kj) {
                            const Index i = oi * s.h - top + ki, j = oj * s.w - left + kj;
                            if (i < 0 || i >= h || j < 0 || j >= w) continue;
                            if (at < 0 || x(b, i, j, ch) > best) {
                                best = x(b, i, j, ch);
                                at = ((b * h + i) * w + j) * c + ch;
                            }
                        }
                    y(b, oi, oj, ch) = best;
                    winner(b, oi, oj, ch) = at;
                }
    return y;
}

const std::vector<PoolCase> kCases = {
    {6, 4, 3, {2, 2}, {2, 2}, Padding::Valid}, {6, 4, 3, {2, 2}, {2, 2}, Padding::Same},
    {7, 5, 3, {2, 2}, {2, 2}, Padding::Same},  {7, 5, 3, {2, 2}, {2, 2}, Padding::Valid},
    {7, 6, 2, {3, 3}, {2, 2}, Padding::Same},  {7, 6, 2, {3, 3}, {2, 2}, Padding::Valid},
    {5, 5, 2, {3, 3}, {1, 1}, Padding::Same},  {6, 7, 2, {2, 3}, {1, 2}, Padding::Same},
    {5, 7, 1, {1, 1}, {2, 2}, Padding::Same},  {3, 3, 2, {2, 2}, {3, 3}, Padding::Same},  // stride > kernel
};

}  // namespace

TEST_CASE("MaxPool2d output sizes follow TensorFlow", "[nn][pool2d]") {
    CHECK(MaxPool2d<float>({2, 2}, {2, 2}).output_shape(Shape{96, 64, 64}) == Shape{48, 32, 64});
    CHECK(MaxPool2d<float>({2, 2}).output_shape(Shape{7, 5, 3}) == Shape{3, 2, 3});
    CHECK(MaxPool2d<float>({2, 2}, {2, 2}, Padding::Same).output_shape(Shape{7, 5, 3}) == Shape{4, 3, 3});
    CHECK(MaxPool2d<float>({3, 3}, {2, 2}, Padding::Valid).output_shape(Shape{7, 6, 3}) == Shape{3, 2, 3});
    CHECK(MaxPool2d<float>({3, 3}, {1, 1}, Padding::Same).output_shape(Shape{5, 5, 3}) == Shape{5, 5, 3});
}

TEST_CASE("MaxPool2d forward and argmax match a plain loop", "[nn][pool2d]") {
    Rng rng(201);
    for (const PoolCase& c : kCases) {
        INFO(c.h << "x" << c.w << "x" << c.c << " kernel " << c.kernel.str() << " stride " << c.stride.str() << " "
                  << padding_name(c.padding));
        MaxPool2d<double> pool(c.kernel, c.stride, c.padding);
        Tensor<double> x(Shape{2, c.h, c.w, c.c});
        // All negative: a padded position counted as 0 would win and show up here.
        test::fill_uniform(x, rng, -2, -0.1);
        Tensor<Index> winner;
        const Tensor<double> want = reference_pool(x, c.kernel, c.stride, c.padding, winner);
        auto y = pool.forward(x, Mode::Eval);
        REQUIRE(y.shape() == want.shape());
        CHECK(pool.output_shape(Shape{c.h, c.w, c.c}) == want.shape().drop_front());
        for (Index i = 0; i < y.size(); ++i) {
            CHECK(y[i] == want[i]);
            CHECK(pool.argmax()[i] == winner[i]);
        }
    }
}

TEST_CASE("MaxPool2d sends the gradient to the first maximum, and adds overlapping windows", "[nn][pool2d]") {
    // One 2x2 window of equal values: the top-left one takes the gradient.
    MaxPool2d<double> pool({2, 2}, {2, 2});
    Tensor<double> x(Shape{1, 2, 2, 1}, 3.0);
    pool.forward(x, Mode::Train);
    auto dx = pool.backward(Tensor<double>(Shape{1, 1, 1, 1}, 7.0));
    CHECK(dx[0] == 7.0);
    CHECK(dx[1] == 0.0);
    CHECK(dx[2] == 0.0);
    CHECK(dx[3] == 0.0);
    // 3-wide windows at stride 1 over 1 2 5 2 1 (SAME): outputs 2 5 5 5 2; the 5 wins three windows.
    MaxPool2d<double> overlap({1, 3}, {1, 1}, Padding::Same);
    Tensor<double> row(Shape{1, 1, 5, 1});
    const double v[] = {1, 2, 5, 2, 1};
    std::copy(v, v + 5, row.begin());
    auto y = overlap.forward(row, Mode::Train);
    REQUIRE(y.shape() == Shape{1, 1, 5, 1});
    CHECK(y[0] == 2.0);
    CHECK(y[2] == 5.0);
    CHECK(y[4] == 2.0);
    auto g = overlap.backward(Tensor<double>(Shape{1, 1, 5, 1}, 1.0));
    CHECK(g[0] == 0.0);
    CHECK(g[1] == 1.0);
    CHECK(g[2] == 3.0);
    CHECK(g[3] == 1.0);
    CHECK(g[4] == 0.0);
    CHECK(overlap.backward(Tensor<double>(Shape{1, 1, 5, 1}, 1.0), false).data() == nullptr);
}

TEST_CASE("MaxPool2d gradients match central differences", "[nn][pool2d][gradcheck]") {
    Rng rng(202);
    for (const PoolCase& c : kCases) {
        INFO(c.h << "x" << c.w << " kernel " << c.kernel.str() << " stride " << c.stride.str() << " "
                  << padding_name(c.padding));
        MaxPool2d<double> pool(c.kernel, c.stride, c.padding);
        Tensor<double> x(Shape{2, c.h, c.w, c.c});
        // Distinct values 0.01 apart: no two elements within the difference step of each other.
        std::vector<double> grid(std::size_t(x.size()));
        for (std::size_t i = 0; i < grid.size(); ++i) grid[i] = 0.01 * double(i) - 1.0;
        shuffle(grid.begin(), grid.end(), rng);
        std::copy(grid.begin(), grid.end(), x.begin());
        auto res = test::gradcheck(pool, x);
        INFO(res.worst);
        CHECK(res.max_rel_error < 1e-6);
    }
}

TEST_CASE("MaxPool2d rejects bad shapes and names them", "[nn][pool2d]") {
    CHECK_THROWS_AS(MaxPool2d<float>({0, 2}), ShapeError);
    CHECK_THROWS_AS(MaxPool2d<float>({2, 2}, {0, 2}), ShapeError);
    MaxPool2d<float> pool({3, 3}, {2, 2});
    CHECK_THROWS_WITH(pool.output_shape(Shape{2, 5, 4}), Contains("(2, 5, 4)") && Contains("VALID"));
    CHECK_THROWS_WITH(pool.output_shape(Shape{5, 4}), Contains("(5, 4)"));
    CHECK_THROWS_WITH(pool.forward(Tensor<float>(Shape{2, 5, 4}), Mode::Eval), Contains("(2, 5, 4)"));
    CHECK_THROWS_WITH(pool.forward(Tensor<float>(Shape{1, 2, 5, 4}), Mode::Eval), Contains("(1, 2, 5, 4)"));
    Tensor<float> x(Shape{2, 5, 5, 4}, 1.f);
    pool.forward(x, Mode::Train);
    CHECK_THROWS_WITH(pool.backward(Tensor<float>(Shape{2, 2, 2, 3})), Contains("(2, 2, 2, 3)") && Contains("(2, 2, 2, 4)"));
}

TEST_CASE("MaxPool2d reuses its buffers for batches up to the largest seen", "[nn][pool2d]") {
    MaxPool2d<float> pool({2, 2}, {2, 2}, Padding::Same);
    Rng rng(203);
    Tensor<float> x(Shape{8, 7, 5, 3});
    test::fill_uniform(x, rng);
    auto y = pool.forward(x, Mode::Train);
    Tensor<float> dy(y.shape(), 1.f);
    const float* y0 = y.data();
    const float* dx0 = pool.backward(dy).data();
    for (Index batch : {8, 3, 1, 8}) {
        CHECK(pool.forward(x.rows(0, batch), Mode::Train).data() == y0);
        auto dx = pool.backward(dy.rows(0, batch));
        CHECK(dx.data() == dx0);
        CHECK(dx.shape() == Shape{batch, 7, 5, 3});
    }
}
