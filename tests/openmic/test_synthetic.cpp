// The synthetic OpenMIC-like set: deterministic to the bit, release-shaped, and learnable.
#include <catch2/catch.hpp>

#include <Eigen/Dense>
#include <cstring>
#include <map>
#include <set>

#include "polytag/openmic/batch.hpp"
#include "polytag/openmic/synthetic.hpp"
#include "polytag/openmic/evaluation.hpp"

using namespace polytag;

namespace {

/// FNV-1a over everything the generator produced (features, label bits, mask, keys, split),
/// fed byte by byte in a fixed order so the value does not depend on endianness.
std::uint64_t fingerprint(const openmic::Dataset& d) {
    std::uint64_t h = 1469598103934665603ULL;
    auto eat = [&](std::uint64_t value, int bytes) {
        for (int i = 0; i < bytes; ++i) h = (h ^ ((value >> (8 * i)) & 0xff)) * 1099511628211ULL;
    };
    for (std::uint8_t v : d.features()) eat(v, 1);
    for (float v : d.y_true()) {
        std::uint32_t bits;
        std::memcpy(&bits, &v, 4);
        eat(bits, 4);
    }
    for (float v : d.mask()) eat(v == 1.0f, 1);
    for (const auto& k : d.keys())
        for (char c : k) eat(static_cast<unsigned char>(c), 1);
    for (Index r : d.test()) eat(static_cast<std::uint64_t>(r), 4);
    return h;
}

}  // namespace

TEST_CASE("make_synthetic is deterministic: same seed same bytes, golden fingerprint", "[dataset]") {
    const auto a = openmic::make_synthetic(300, 42);
    const auto b = openmic::make_synthetic(300, 42);
    CHECK(fingerprint(a) == fingerprint(b));
    CHECK(fingerprint(a) != fingerprint(openmic::make_synthetic(300, 43)));
    // Integer-only generation: this value must hold on every platform and compiler.
    CHECK(fingerprint(a) == 0x84d4af940a79a108ULL);
}

TEST_CASE("make_synthetic has the release layout and its statistics", "[dataset]") {
    const auto d = openmic::make_synthetic(3000, 0);
    CHECK(d.size() == 3000);
    CHECK(d.features().shape() == Shape{3000, 10, 128});
    CHECK(d.classes() == 20);
    CHECK(d.class_names()[12] == "piano");
    CHECK(d.train().size() + d.test().size() == 3000);
    CHECK(double(d.test().size()) / 3000 == Approx(0.25).margin(0.05));
    std::vector<std::string> tracks;
    for (const auto& k : d.keys()) tracks.push_back(openmic::track_id(k));
    CHECK(std::is_sorted(tracks.begin(), tracks.end()));

    // Tracks: several clips each, never on both sides of the split.
    std::map<std::string, int> clips_per_track;
    for (const auto& k : d.keys()) ++clips_per_track[openmic::track_id(k)];
    CHECK(3000.0 / double(clips_per_track.size()) > 2.5);
    std::set<std::string> train_tracks;
    for (Index r : d.train()) train_tracks.insert(openmic::track_id(d.keys()[static_cast<std::size_t>(r)]));
    for (Index r : d.test()) CHECK(train_tracks.count(openmic::track_id(d.keys()[static_cast<std::size_t>(r)])) == 0);

    // Partial labels: about two observed per clip, 0.5 elsewhere; every instrument has both classes.
    double observed = 0;
    Index unobserved_not_half = 0;
    std::vector<double> n(20), pos(20);
    for (Index i = 0; i < d.size(); ++i)
        for (Index c = 0; c < 20; ++c) {
            if (d.mask()(i, c) == 1.0f) {
                ++observed;
                ++n[static_cast<std::size_t>(c)];
                pos[static_cast<std::size_t>(c)] += d.y_true()(i, c) > 0.5f;
            } else {
                unobserved_not_half += d.y_true()(i, c) != 0.5f;
            }
        }
    CHECK(unobserved_not_half == 0);
    CHECK(observed / 3000 == Approx(2.0).margin(0.1));
    for (std::size_t c = 0; c < 20; ++c) {
        CHECK(n[c] > 150);
        CHECK(pos[c] / n[c] > 0.1);
        CHECK(pos[c] / n[c] < 0.7);
    }
}

TEST_CASE("make_synthetic is learnable: ridge on mean-pooled features beats chance clearly", "[dataset]") {
    const auto d = openmic::make_synthetic(3000, 0);
    const auto norm = openmic::Normalizer::fit(d.features(), d.train());
    auto pooled = [&](const std::vector<Index>& rows, Eigen::MatrixXd& x, openmic::Batch<float>& b) {
        openmic::gather_batch(d, norm, rows, 0, static_cast<Index>(rows.size()), b);
        x = Eigen::MatrixXd::Ones(static_cast<Index>(rows.size()), 129);
        for (Index i = 0; i < x.rows(); ++i)
            for (Index k = 0; k < 128; ++k) {
                double s = 0;
                for (Index f = 0; f < 10; ++f) s += b.x(i, f, k);
                x(i, k) = s / 10;
            }
    };
    Eigen::MatrixXd xtr, xte;
    openmic::Batch<float> tr, te;
    pooled(d.train(), xtr, tr);
    pooled(d.test(), xte, te);
    Tensor<float> pred(Shape{xte.rows(), 20});
    for (Index c = 0; c < 20; ++c) {
        Eigen::MatrixXd a = Eigen::MatrixXd::Identity(129, 129);
        Eigen::VectorXd rhs = Eigen::VectorXd::Zero(129);
        for (Index i = 0; i < xtr.rows(); ++i)
            if (tr.mask(i, c) == 1.0f) {
                a += xtr.row(i).transpose() * xtr.row(i);
                rhs += xtr.row(i).transpose() * double(tr.y(i, c));
            }
        const Eigen::VectorXd w = a.ldlt().solve(rhs);
        const Eigen::VectorXd s = xte * w;
        for (Index i = 0; i < xte.rows(); ++i) pred(i, c) = static_cast<float>(s[i]);
    }
    const auto ev = openmic::evaluate(pred, te.y, te.mask, d.class_names());
    double chance = 0;
    for (const auto& m : ev.instruments) chance += double(m.n_pos) / double(m.n);
    chance /= 20;
    INFO("ridge macro AP " << ev.macro.ap << ", chance " << chance);
    CHECK(ev.skipped_ranking.empty());
    CHECK(ev.macro.ap > chance + 0.3);
    CHECK(ev.macro.auc > 0.8);
}

TEST_CASE("make_synthetic refuses sizes it cannot split", "[dataset]") {
    CHECK_THROWS_AS(openmic::make_synthetic(1, 0), ValueError);
    const auto d = openmic::make_synthetic(2, 5);
    CHECK(d.train().size() == 1);
    CHECK(d.test().size() == 1);
}
