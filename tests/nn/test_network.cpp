// Network<T> and AnyLayer<T>: a runtime graph equals the compile-time Sequential, two-input
// graphs with shared tensors are gradient-checked in double (gradients accumulated where a
// tensor feeds two consumers), backward needs no zero_grad, buffers are reused, errors name
// the node, specs round-trip through the registry, and MultiHead<T>(heads, ...) equals
// MultiHead<T, K>.
#include <catch2/catch.hpp>

#include "nn/network_gradcheck.hpp"
#include "nn/nn_test_util.hpp"
#include "polytag/nn/layer_registry.hpp"
#include "polytag/nn/network.hpp"
#include "polytag/nn/sequential.hpp"

using namespace polytag;

namespace {

/// Two inputs: frames a (3, 4) and side info b (3, 2). a feeds the per-frame concat AND a
/// pooled branch (fan-out of an input); the trunk output h feeds a Relu and a Tanh branch
/// summed by Add (fan-out of an inner node); late fusion joins the pooled vectors.
template <typename T>
Network<T> two_input_net(Index heads = 3) {
    Network<T> net;
    auto a = net.input("a", Shape{3, 4});
    auto b = net.input("b", Shape{3, 2});
    auto x = net.add("fuse", Concat<T>(), {a, b});
    auto h = net.add("trunk", Dense<T>(6, 5), x);
    auto r = net.add("relu", Relu<T>(), h);
    auto t = net.add("tanh", Tanh<T>(), h);
    auto s = net.add("sum", Add<T>(), {r, t});
    auto p = net.add("pool", AttentionPool<T>(5), s);
    auto q = net.add("pool_a", MeanPool<T>(), a);
    auto z = net.add("late", Concat<T>(), {p, q});
    net.add("head", MultiHead<T>(heads, 9, {4}), z);
    net.add("out", Sigmoid<T>());
    return net;
}

}  // namespace

TEST_CASE("network: a chain equals the same Sequential", "[network]") {
    Sequential seq(Shape{3, 4}, Dense<float>(4, 6), Relu<float>(), MeanPool<float>(), MultiHead<float, 2>(6, {3}),
                   Sigmoid<float>());
    Network<float> net;
    net.input("x", Shape{3, 4});
    net.add("0", Dense<float>(4, 6));
    net.add("1", Relu<float>());
    net.add("2", MeanPool<float>());
    net.add("3", MultiHead<float>(2, 6, {3}));
    net.add("4", Sigmoid<float>());
    CHECK(net.output_shape() == Shape{2});
    Rng rng(3);
    seq.init(rng);
    auto sp = seq.parameters();
    auto np = net.parameters();
    REQUIRE(sp.size() == np.size());
    for (std::size_t i = 0; i < sp.size(); ++i) {
        CHECK(sp[i].name == np[i].name);  // "0.weight", ..., "3.weight_out": torch.nn.Sequential's names
        for (auto& v : sp[i].value) v = float(rng.uniform(-1, 1));
        np[i].value.array() = sp[i].value.array();
    }
    Tensor<float> x(Shape{5, 3, 4});
    test::fill_uniform(x, rng);
    Tensor<float> dy(Shape{5, 2});
    test::fill_uniform(dy, rng);
    const Tensor<float> ys = Tensor<float>::copy_of(seq.forward(x, Mode::Train));
    const Tensor<float> yn = Tensor<float>::copy_of(net.forward(x, Mode::Train));
    CHECK((ys.array() == yn.array()).all());
    const Tensor<float> dxs = Tensor<float>::copy_of(seq.backward(dy, true));
    const Tensor<float> dxn = Tensor<float>::copy_of(net.backward(dy, true));
    CHECK((dxs.array() == dxn.array()).all());
    for (std::size_t i = 0; i < sp.size(); ++i) CHECK((sp[i].grad.array() == np[i].grad.array()).all());
}

TEST_CASE("network: two inputs, fan-out and late fusion pass the gradient check", "[network][gradcheck]") {
    Network<double> net = two_input_net<double>();
    Rng rng(11);
    net.init(rng);
    test::randomize_parameters(net, rng, -0.8, 0.8);
    std::vector<Tensor<double>> xs{Tensor<double>(Shape{4, 3, 4}), Tensor<double>(Shape{4, 3, 2})};
    for (auto& x : xs) test::fill_away_from_zero(x, rng);
    const auto res = test::gradcheck_network(net, xs);
    INFO("worst: " << res.worst);
    CHECK(res.max_rel_error < 1e-6);
}

TEST_CASE("network: backward overwrites, so two backward passes give the same gradients", "[network]") {
    Network<double> net = two_input_net<double>();
    Rng rng(5);
    net.init(rng);
    test::randomize_parameters(net, rng, -0.5, 0.5);
    std::vector<Tensor<double>> xs{Tensor<double>(Shape{2, 3, 4}), Tensor<double>(Shape{2, 3, 2})};
    for (auto& x : xs) test::fill_uniform(x, rng);
    Tensor<double> dy(Shape{2, 3}, 1.0);
    net.forward(xs, Mode::Train);
    net.backward(dy, std::vector<bool>{true, true});
    std::vector<Tensor<double>> first;
    for (auto& p : net.parameters()) first.push_back(Tensor<double>::copy_of(p.grad));
    const Tensor<double> da = Tensor<double>::copy_of(net.input_grad(0));
    net.forward(xs, Mode::Train);
    net.backward(dy, std::vector<bool>{true, true});
    auto params = net.parameters();
    for (std::size_t i = 0; i < params.size(); ++i) CHECK((params[i].grad.array() == first[i].array()).all());
    CHECK((net.input_grad(0).array() == da.array()).all());
    // Without input gradients asked for, none is computed (the first layers skip dx).
    net.backward(dy, std::vector<bool>{false, false});
    CHECK(net.input_grad(0).data() == nullptr);
    CHECK(net.input_grad(1).data() == nullptr);
}

TEST_CASE("network: repeated passes reuse the buffers", "[network]") {
    Network<float> net = two_input_net<float>();
    Rng rng(1);
    net.init(rng);
    std::vector<Tensor<float>> xs{Tensor<float>(Shape{6, 3, 4}), Tensor<float>(Shape{6, 3, 2})};
    for (auto& x : xs) test::fill_uniform(x, rng);
    Tensor<float> dy(Shape{6, 3}, 0.5f);
    const float* y = net.forward(xs, Mode::Train).data();
    net.backward(dy, false);
    for (int i = 0; i < 3; ++i) {
        CHECK(net.forward(xs, Mode::Train).data() == y);
        net.backward(dy, false);
    }
    std::vector<Tensor<float>> small{Tensor<float>::copy_of(xs[0].rows(0, 2)), Tensor<float>::copy_of(xs[1].rows(0, 2))};
    CHECK(net.forward(small, Mode::Eval).data() == y);
    CHECK(net.forward({small[0].view(), small[1].view()}, Mode::Eval).shape() == Shape{2, 3});
}

TEST_CASE("network: nodes that do not lead to the output are not run", "[network]") {
    Network<double> net;
    auto x = net.input("x", Shape{3});
    auto keep = net.add("keep", Dense<double>(3, 2), x);
    net.add("unused", Dense<double>(3, 7), x);
    net.set_output(keep);
    Rng rng(2);
    net.init(rng);
    Tensor<double> xb(Shape{4, 3}, 0.25);
    CHECK(net.forward(xb, Mode::Eval).shape() == Shape{4, 2});
    Tensor<double> x2 = xb;
    auto res = test::gradcheck(net, x2);
    CHECK(res.max_rel_error < 1e-6);
}

TEST_CASE("network: errors name the node", "[network]") {
    Network<float> net;
    auto a = net.input("a", Shape{3, 4});
    auto b = net.input("b", Shape{2, 2});
    CHECK_THROWS_WITH(net.add("bad", Dense<float>(5, 2), a), Catch::Contains("node 'bad'") && Catch::Contains("last axis 5"));
    CHECK_THROWS_WITH(net.add("cat", Concat<float>(), {a, b}), Catch::Contains("node 'cat'"));
    CHECK_THROWS_AS(net.add("a", Relu<float>(), a), ValueError);            // name taken
    CHECK_THROWS_AS(net.add("has space", Relu<float>(), a), ValueError);
    CHECK_THROWS_AS(net.add("x/y", Relu<float>(), a), ValueError);
    CHECK_THROWS_AS(net.add("r", Relu<float>(), NodeId{42}), ValueError);
    Network<float> other;
    CHECK_THROWS_AS(other.add("r", Relu<float>()), ValueError);              // no input yet
    net.add("ok", Dense<float>(4, 2), a);
    Tensor<float> xa(Shape{2, 3, 4}, 0.f), xb(Shape{3, 2, 2}, 0.f), wrong(Shape{2, 3, 5}, 0.f);
    CHECK_THROWS_AS(net.forward({xa.view()}, Mode::Eval), ShapeError);       // one input short
    CHECK_THROWS_WITH(net.forward({wrong.view(), xb.view()}, Mode::Eval), Catch::Contains("input 'a'"));
    CHECK_THROWS_WITH(net.forward({xa.view(), xb.view()}, Mode::Eval), Catch::Contains("input 'b'"));  // batch 3 vs 2
}

TEST_CASE("network: AnyLayer holds a layer by value and gives it back by type", "[network]") {
    AnyLayer<float> l = Dense<float>(3, 2);
    CHECK_FALSE(l.multi_input());
    CHECK(l.output_shape(Shape{3}) == Shape{2});
    REQUIRE(l.get_if<Dense<float>>() != nullptr);
    CHECK(l.get_if<Relu<float>>() == nullptr);
    CHECK_THROWS_AS(l.get<Relu<float>>(), ValueError);
    l.get<Dense<float>>().weight().fill(1.f);
    AnyLayer<float> copy = l;  // a deep copy
    l.get<Dense<float>>().weight().fill(2.f);
    CHECK(copy.get<Dense<float>>().weight()[0] == 1.f);
    CHECK(l.spec() == LayerSpec("dense").set("in", 3).set("out", 2).set("init", "he"));
    AnyLayer<float> cat = Concat<float>();
    CHECK(cat.multi_input());
    STATIC_REQUIRE(is_layer_v<AnyLayer<float>>);
    STATIC_REQUIRE(is_multi_input_layer_v<AnyLayer<float>>);
    STATIC_REQUIRE(is_layer_v<Network<float>>);
    STATIC_REQUIRE(is_multi_input_layer_v<Network<double>>);
    STATIC_REQUIRE(is_multi_input_layer_v<Concat<float>>);
    STATIC_REQUIRE_FALSE(is_layer_v<Concat<float>>);
}

TEST_CASE("network: the spec rebuilds the same architecture through the registry", "[network]") {
    Network<float> net = two_input_net<float>(4);
    const NetworkSpec spec = net.spec();
    CHECK(spec.inputs.size() == 2);
    CHECK(spec.output == "out");
    const auto registry = LayerRegistry<float>::builtin();
    Network<float> again = build_network(spec, registry);
    auto p1 = net.parameters(), p2 = again.parameters();
    const auto shapes = parameter_shapes(spec, registry);
    REQUIRE(p1.size() == p2.size());
    REQUIRE(shapes.size() == p1.size());
    for (std::size_t i = 0; i < p1.size(); ++i) {
        CHECK(p1[i].name == p2[i].name);
        CHECK(p1[i].value.shape() == p2[i].value.shape());
        CHECK(shapes[i].name == p1[i].name);
        CHECK(shapes[i].shape == p1[i].value.shape());
    }
    CHECK(again.output_shape() == Shape{4});
    NetworkSpec bad = spec;
    bad.nodes[1].layer.set("out", 0);
    CHECK_THROWS_WITH(build_network(bad, registry), Catch::Contains("node 'trunk' (dense): 'out'"));
    bad = spec;
    bad.nodes[0].layer = LayerSpec("no_such_layer");
    CHECK_THROWS_WITH(build_network(bad, registry), Catch::Contains("unknown layer kind 'no_such_layer'"));
    bad = spec;
    bad.nodes[1].layer.set("bias", 1);
    CHECK_THROWS_WITH(build_network(bad, registry), Catch::Contains("'bias': is not an attribute"));
}

TEST_CASE("network: MultiHead<T>(heads, ...) computes what MultiHead<T, K> does", "[network][multi_head]") {
    for (bool per_task : {false, true}) {
        MultiHead<double, 3> fixed(4, {5, 2});
        MultiHead<double> runtime(3, 4, {5, 2});
        CHECK(runtime.heads() == 3);
        CHECK(fixed.heads() == 3);
        Rng r1(9), r2(9);
        fixed.init(r1);
        runtime.init(r2);
        // Nonzero biases: with zero ones a dead hidden layer puts the next one on ReLU's kink.
        test::randomize_parameters(fixed, r1, -0.6, 0.6);
        test::randomize_parameters(runtime, r2, -0.6, 0.6);
        Tensor<double> x(per_task ? Shape{2, 3, 4} : Shape{2, 4});
        Rng rng(4);
        test::fill_uniform(x, rng);
        ParameterList<double> a, b;
        fixed.parameters(a, "");
        runtime.parameters(b, "");
        REQUIRE(a.size() == b.size());
        for (std::size_t i = 0; i < a.size(); ++i) CHECK((a[i].value.array() == b[i].value.array()).all());
        const Tensor<double> ya = Tensor<double>::copy_of(fixed.forward(x, Mode::Train));
        CHECK((runtime.forward(x, Mode::Train).array() == ya.array()).all());
        Tensor<double> x2 = x;
        const test::GradCheckResult g = test::gradcheck(runtime, x2);
        INFO("per_task " << per_task << ", worst at " << g.worst);
        CHECK(g.max_rel_error < 1e-6);
    }
    CHECK_THROWS_AS(MultiHead<float>(0, 4), ShapeError);
}
