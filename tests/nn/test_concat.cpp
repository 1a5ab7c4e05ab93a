// Concat and Add (multi-input layers): forward against plain loops, the gradient split back
// to the inputs (only where asked), shape errors, buffer reuse, and both fusions a user needs
// - per-frame concat before pooling and late fusion of pooled embeddings - gradient-checked
// inside a Network in double.
#include <catch2/catch.hpp>

#include "nn/network_gradcheck.hpp"
#include "nn/nn_test_util.hpp"
#include "polytag/nn/add.hpp"
#include "polytag/nn/concat.hpp"
#include "polytag/nn/network.hpp"

using namespace polytag;

TEST_CASE("concat: joins the last axis, splits dy back", "[concat]") {
    Concat<double> cat;
    Tensor<double> a(Shape{2, 3, 2}), b(Shape{2, 3, 1});
    Rng rng(1);
    test::fill_uniform(a, rng);
    test::fill_uniform(b, rng);
    CHECK(cat.output_shape({Shape{3, 2}, Shape{3, 1}}) == Shape{3, 3});
    auto y = cat.forward({a.view(), b.view()}, Mode::Train);
    REQUIRE(y.shape() == Shape{2, 3, 3});
    for (Index i = 0; i < 2; ++i)
        for (Index f = 0; f < 3; ++f) {
            CHECK(y(i, f, 0) == a(i, f, 0));
            CHECK(y(i, f, 1) == a(i, f, 1));
            CHECK(y(i, f, 2) == b(i, f, 0));
        }
    Tensor<double> dy(y.shape());
    for (Index i = 0; i < dy.size(); ++i) dy[i] = double(i);
    const auto& g = cat.backward(dy, {true, true});
    REQUIRE(g.size() == 2);
    CHECK(g[0].shape() == a.shape());
    CHECK(g[1].shape() == b.shape());
    for (Index r = 0; r < 6; ++r) {
        CHECK(g[0][r * 2] == dy[r * 3]);
        CHECK(g[0][r * 2 + 1] == dy[r * 3 + 1]);
        CHECK(g[1][r] == dy[r * 3 + 2]);
    }
    const auto& g2 = cat.backward(dy, {false, true});
    CHECK(g2[0].data() == nullptr);
    CHECK(g2[1][0] == dy[2]);
    // Buffers are reused at the same or a smaller batch.
    const double* data = y.data();
    CHECK(cat.forward({a.view(), b.view()}, Mode::Train).data() == data);
    CHECK(cat.forward({a.rows(0, 1), b.rows(0, 1)}, Mode::Train).data() == data);
}

TEST_CASE("concat and add: shape errors", "[concat]") {
    Concat<float> cat;
    CHECK_THROWS_AS(cat.output_shape({}), ShapeError);
    CHECK_THROWS_AS(cat.output_shape({Shape{3, 2}, Shape{4, 2}}), ShapeError);  // frames differ
    CHECK_THROWS_AS(cat.output_shape({Shape{3, 2}, Shape{2}}), ShapeError);     // ranks differ
    CHECK(cat.output_shape({Shape{2}, Shape{5}, Shape{1}}) == Shape{8});
    Tensor<float> a(Shape{2, 3}, 0.f), b(Shape{3, 3}, 0.f);
    CHECK_THROWS_AS(cat.forward({a.view(), b.view()}, Mode::Train), ShapeError);  // batch sizes differ
    Add<float> add;
    CHECK_THROWS_AS(add.output_shape({Shape{3}, Shape{4}}), ShapeError);
    CHECK_THROWS_AS(add.forward({a.view(), b.view()}, Mode::Train), ShapeError);
}

TEST_CASE("add: sums, and hands dy to every input", "[concat]") {
    Add<double> add;
    Tensor<double> a(Shape{2, 2}, 1.0), b(Shape{2, 2}, 2.5);
    auto y = add.forward({a.view(), b.view(), a.view()}, Mode::Train);
    CHECK((y.array() == 4.5).all());
    Tensor<double> dy(Shape{2, 2}, 3.0);
    const auto& g = add.backward(dy, {true, false, true});
    CHECK(g[0].data() == dy.data());
    CHECK(g[1].data() == nullptr);
    CHECK(g[2].data() == dy.data());
}

TEST_CASE("concat: per-frame fusion and late fusion pass the gradient check", "[concat][gradcheck]") {
    for (bool late : {false, true}) {
        Network<double> net;
        auto a = net.input("vggish", Shape{4, 3});
        auto b = net.input("other", Shape{4, 2});
        NodeId z;
        if (!late) {  // (4, 3) ++ (4, 2) per frame -> (4, 5), then a trunk and pooling
            auto x = net.add("fuse", Concat<double>(), {a, b});
            auto h = net.add("trunk", Dense<double>(5, 4), x);
            h = net.add("act", Tanh<double>(), h);
            z = net.add("pool", AttentionPool<double>(4), h);
        } else {  // each stream pooled on its own, the embeddings joined
            auto ha = net.add("trunk_a", Dense<double>(3, 4), a);
            auto hb = net.add("trunk_b", Dense<double>(2, 3), b);
            auto pa = net.add("pool_a", AttentionPool<double>(4), ha);
            auto pb = net.add("pool_b", MaxPool<double>(), hb);
            z = net.add("fuse", Concat<double>(), {pa, pb});
        }
        // A hidden ReLU layer only in the late-fusion head: its kink stays clear of the probes there.
        net.add("head", late ? MultiHead<double>(2, 7, {3}) : MultiHead<double>(2, 4), z);
        Rng rng(late ? 21 : 22);
        net.init(rng);
        test::randomize_parameters(net, rng, -0.7, 0.7);
        std::vector<Tensor<double>> xs{Tensor<double>(Shape{3, 4, 3}), Tensor<double>(Shape{3, 4, 2})};
        for (auto& x : xs) test::fill_away_from_zero(x, rng);
        const auto res = test::gradcheck_network(net, xs);
        INFO((late ? "late" : "per-frame") << " fusion, worst: " << res.worst);
        CHECK(res.max_rel_error < 1e-6);
    }
}
