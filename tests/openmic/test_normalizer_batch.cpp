// Normalisation statistics from the training rows, and batch gathering without allocation.
#include <catch2/catch.hpp>

#include <cmath>

#include "polytag/openmic/batch.hpp"
#include "polytag/openmic/normalizer.hpp"

using namespace polytag;

namespace {

// Three clips, two frames, three dims; dim 2 is constant.
openmic::Dataset tiny() {
    Tensor<std::uint8_t> x(Shape{3, 2, 3});
    const std::uint8_t values[] = {0, 10, 7, 2, 20, 7, 4, 30, 7, 6, 40, 7, 100, 200, 7, 100, 200, 7};
    std::copy(std::begin(values), std::end(values), x.begin());
    Tensor<float> y(Shape{3, 2}, 0.5f), m(Shape{3, 2}, 0.0f);
    y(0, 0) = 1.0f, m(0, 0) = 1.0f;
    y(2, 1) = 0.25f, m(2, 1) = 1.0f;
    return openmic::Dataset::from_arrays(std::move(x), std::move(y), std::move(m), {"t1_0", "t1_1", "t2_0"}, {"a", "b"},
                                         {0, 1}, {2});
}

}  // namespace

TEST_CASE("Normalizer::fit uses only the given rows, population std, constant dims get 1", "[dataset]") {
    const auto d = tiny();
    const auto n = openmic::Normalizer::fit(d.features(), d.train());
    REQUIRE(n.dims() == 3);
    CHECK(n.mean[0] == Approx(3.0));   // 0 2 4 6
    CHECK(n.mean[1] == Approx(25.0));  // 10 20 30 40
    CHECK(n.mean[2] == Approx(7.0));
    CHECK(n.std[0] == Approx(std::sqrt(5.0)));
    CHECK(n.std[1] == Approx(std::sqrt(125.0)));
    CHECK(n.std[2] == 1.0f);
    CHECK_NOTHROW(n.check(3));
    CHECK_THROWS_AS(n.check(4), ValueError);
    CHECK_THROWS_AS(openmic::Normalizer::fit(d.features(), {}), ValueError);
    CHECK_THROWS_AS(openmic::Normalizer::fit(d.features(), {3}), ValueError);
    auto bad = n;
    bad.std[1] = 0.0f;
    CHECK_THROWS_AS(bad.check(3), ValueError);
}

TEST_CASE("gather_batch normalises features, copies labels, and reuses its buffers", "[dataset]") {
    const auto d = tiny();
    const auto n = openmic::Normalizer::fit(d.features(), d.train());
    openmic::Batch<float> b;
    const std::vector<Index> order{2, 0, 1};
    openmic::gather_batch(d, n, order, 0, 3, b);
    CHECK(b.x.shape() == Shape{3, 2, 3});
    CHECK(b.y.shape() == Shape{3, 2});
    CHECK(b.x(0, 1, 1) == Approx((200.0 - 25.0) / std::sqrt(125.0)));
    CHECK(b.x(1, 0, 0) == Approx(-3.0 / std::sqrt(5.0)));
    CHECK(b.x(2, 1, 2) == 0.0f);
    CHECK(b.y(0, 1) == 0.25f);
    CHECK(b.mask(0, 1) == 1.0f);
    CHECK(b.y(1, 0) == 1.0f);
    CHECK(b.y(2, 0) == 0.5f);
    CHECK(b.mask(2, 0) == 0.0f);

    const float* x_before = b.x.data();
    const float* y_before = b.y.data();
    openmic::gather_batch(d, n, order, 1, 3, b);  // smaller batch: same buffers
    CHECK(b.x.data() == x_before);
    CHECK(b.y.data() == y_before);
    CHECK(b.x.shape() == Shape{2, 2, 3});
    CHECK(b.y(0, 0) == 1.0f);

    openmic::Batch<double> bd;
    openmic::gather_batch(d, openmic::Normalizer::identity(3), order, 0, 1, bd);
    CHECK(bd.x(0, 0, 1) == 200.0);

    CHECK_THROWS_AS(openmic::gather_batch(d, n, order, 2, 4, b), ValueError);
    const std::vector<Index> wild{7};
    CHECK_THROWS_AS(openmic::gather_batch(d, n, wild, 0, 1, b), ValueError);
    CHECK_THROWS_AS(openmic::gather_batch(d, openmic::Normalizer::identity(5), order, 0, 1, b), ValueError);
}

TEST_CASE("from_arrays validates like load", "[dataset]") {
    auto make = [](std::vector<Index> train, std::vector<Index> test, float y01 = 0.5f, float m01 = 0.0f,
                   std::vector<std::string> keys = {"t1_0", "t1_1"}, Shape xs = Shape{2, 1, 2},
                   std::vector<std::string> names = {"a", "b"}) {
        Tensor<std::uint8_t> x(xs, 0);
        Tensor<float> y(Shape{2, 2}, 0.5f), m(Shape{2, 2}, 0.0f);
        y(0, 1) = y01;
        m(0, 1) = m01;
        return openmic::Dataset::from_arrays(std::move(x), std::move(y), std::move(m), keys, names, train, test, "unit");
    };
    CHECK_NOTHROW(make({0}, {1}));
    CHECK_THROWS_AS(make({0}, {0}), openmic::DatasetError);        // overlap
    CHECK_THROWS_AS(make({0, 0}, {1}), openmic::DatasetError);     // repeated row
    CHECK_THROWS_AS(make({2}, {1}), openmic::DatasetError);        // out of range
    CHECK_THROWS_AS(make({0}, {1}, 0.0f), openmic::DatasetError);  // unobserved not 0.5
    CHECK_THROWS_AS(make({0}, {1}, 1.5f, 1.0f), openmic::DatasetError);
    CHECK_THROWS_AS(make({0}, {1}, 0.5f, 0.5f), openmic::DatasetError);  // mask not 0/1
    CHECK_THROWS_AS(make({0}, {1}, 0.5f, 0.0f, {"k", "k"}), openmic::DatasetError);
    CHECK_THROWS_AS(make({0}, {1}, 0.5f, 0.0f, {"t1_0", "t1_1"}, Shape{3, 1, 2}), openmic::DatasetError);
    CHECK_THROWS_AS(make({0}, {1}, 0.5f, 0.0f, {"t1_0", "t1_1"}, Shape{2, 1, 2}, {"a", "a"}), openmic::DatasetError);
    try {
        make({0}, {1}, 2.0f, 1.0f);
    } catch (const openmic::DatasetError& e) {
        CHECK(e.file() == "unit y_true");
        CHECK(e.row() == 0);
        CHECK(e.column() == 1);
        CHECK(std::string(e.what()).find("key 't1_0'") != std::string::npos);
    }
}
