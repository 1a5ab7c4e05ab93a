// Every GEMM backend this build has (Eigen, OpenBLAS, libxsmm, oneDNN, and polytag::gemm's own
// dispatch) against a double-precision reference, for every transpose combination, at the
// networks' shapes and at odd ones, with leading dimensions wider than the matrices; the
// dispatch table; thread safety of the JIT caches; no allocation after the first call of a shape.
// The 8-bit kernel's tests are in test_gemm_u8s8.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "polytag/tensor/kernels.hpp"
#include "polytag/tensor/random.hpp"
#include "polytag/tensor/tensor.hpp"
#include "support/counting_allocator.hpp"

using namespace polytag;

namespace {

struct Case {
    Index m, n, k;
};

// The reference network's and the OpenMIC model's products, and odd sizes (tails of every
// vector width, single rows and columns, tiny products below the BLAS threshold).
const std::vector<Case> kCases = {
    {64, 512, 1280}, {64, 256, 512}, {512, 1280, 64}, {64, 512, 256}, {640, 256, 128}, {256, 128, 640},
    {640, 20, 256},  {20, 256, 640}, {640, 256, 20},  {3, 5, 7},      {17, 33, 65},    {1, 300, 70},
    {70, 1, 300},    {31, 29, 1},    {2, 2, 2},       {129, 67, 45},
    // AttentionPool's per-clip products (tasks 20 and 1), and a single row with a single inner index.
    {20, 256, 10},   {10, 256, 20},  {1, 256, 10},    {10, 256, 1},   {1, 7, 1},
};

const std::vector<GemmBackend> kBackends = {GemmBackend::Auto, GemmBackend::Eigen, GemmBackend::Blas,
                                            GemmBackend::Xsmm, GemmBackend::Dnnl};

/// A (rows x cols) matrix inside a buffer with `pad` extra columns, filled uniformly in [-1, 1].
struct Padded {
    Padded(Index rows, Index cols, Index pad, std::uint64_t seed) : rows(rows), cols(cols), ld(cols + pad) {
        buf.resize(std::size_t(rows * ld));
        Rng rng(seed);
        for (auto& x : buf) x = float(rng.uniform(-1.0, 1.0));
    }
    MatrixRef<float> ref() { return {buf.data(), rows, cols, ld}; }
    float at(Index i, Index j) const { return buf[std::size_t(i * ld + j)]; }
    Index rows, cols, ld;
    std::vector<float> buf;
};

/// Checks gemm_with(backend, ...) against the double reference for one case.
void check_case(GemmBackend backend, Trans ta, Trans tb, const Case& s, float alpha, float beta, Index pad) {
    const bool tra = ta == Trans::Yes, trb = tb == Trans::Yes;
    Padded a(tra ? s.k : s.m, tra ? s.m : s.k, pad, 1), b(trb ? s.n : s.k, trb ? s.k : s.n, pad, 2);
    Padded c(s.m, s.n, pad, 3);
    if (beta == 0.0f)  // beta 0 overwrites: NaN in C must not survive
        for (Index i = 0; i < s.m; ++i)
            for (Index j = 0; j < s.n; ++j) c.buf[std::size_t(i * c.ld + j)] = std::numeric_limits<float>::quiet_NaN();
    const Padded c0 = c;
    gemm_with<float>(backend, ta, tb, alpha, a.ref(), b.ref(), beta, c.ref());
    Index bad = 0;
    double worst = 0;
    for (Index i = 0; i < s.m; ++i)
        for (Index j = 0; j < s.n; ++j) {
            double sum = 0, mag = 0;
            for (Index p = 0; p < s.k; ++p) {
                const double x = tra ? a.at(p, i) : a.at(i, p);
                const double y = trb ? b.at(j, p) : b.at(p, j);
                sum += x * y;
                mag += std::abs(x * y);
            }
            double ref = double(alpha) * sum;
            if (beta != 0.0f) ref += double(beta) * c0.at(i, j);
            const double err = std::abs(double(c.at(i, j)) - ref);
            // float accumulation over k terms: a few ulps of the magnitude summed
            const double tol = 1e-5 * (std::abs(double(alpha)) * mag + std::abs(double(beta))) + 1e-6;
            if (!(err <= tol)) ++bad;
            worst = std::max(worst, err / tol);
        }
    // C's padding columns are never written
    for (Index i = 0; i < s.m; ++i)
        for (Index j = s.n; j < c.ld; ++j)
            if (c.at(i, j) != c0.at(i, j)) ++bad;
    INFO(gemm_backend_name(backend) << " ta=" << tra << " tb=" << trb << " m=" << s.m << " n=" << s.n
                                    << " k=" << s.k << " alpha=" << alpha << " beta=" << beta << " pad=" << pad
                                    << " worst err/tol=" << worst);
    CHECK(bad == 0);
}

}  // namespace

TEST_CASE("Every GEMM backend equals the reference product for every transpose", "[tensor][gemm]") {
    for (GemmBackend backend : kBackends) {
        if (!gemm_backend_available(backend)) continue;
        for (Trans ta : {Trans::No, Trans::Yes})
            for (Trans tb : {Trans::No, Trans::Yes})
                for (const Case& s : kCases) {
                    check_case(backend, ta, tb, s, 1.0f, 0.0f, 0);
                    check_case(backend, ta, tb, s, 1.0f, 1.0f, 3);  // accumulate, wider leading dims
                }
    }
}

TEST_CASE("GEMM backends handle alpha and general beta (falling back where they must)", "[tensor][gemm]") {
    for (GemmBackend backend : kBackends) {
        if (!gemm_backend_available(backend)) continue;
        for (Trans ta : {Trans::No, Trans::Yes})
            for (Trans tb : {Trans::No, Trans::Yes})
                for (const Case& s : {Case{64, 256, 512}, Case{17, 33, 65}, Case{640, 20, 256}, Case{1, 300, 70},
                                      Case{70, 1, 300}, Case{31, 29, 1}}) {
                    check_case(backend, ta, tb, s, 0.5f, 0.25f, 1);
                    check_case(backend, ta, tb, s, -2.0f, 0.0f, 0);
                }
    }
}

TEST_CASE("gemm_with rejects a backend the build lacks; double products run everywhere", "[tensor][gemm]") {
    for (GemmBackend backend : kBackends) {
        Tensor<double> a(Shape{3, 4}, 1.0), b(Shape{4, 2}, 2.0), c(Shape{3, 2}, 0.0);
        if (!gemm_backend_available(backend)) {
            CHECK_THROWS_AS(gemm_with<double>(backend, Trans::No, Trans::No, 1.0, a.mref(), b.mref(), 0.0, c.mref()),
                            std::invalid_argument);
            continue;
        }
        gemm_with<double>(backend, Trans::No, Trans::No, 1.0, a.mref(), b.mref(), 0.0, c.mref());
        for (Index i = 0; i < c.size(); ++i) CHECK(c[i] == 8.0);
    }
}

TEST_CASE("The dispatch sends the networks' float products to libxsmm when built in", "[tensor][gemm]") {
    using detail::auto_backend;
    const GemmBackend big = gemm_backend_available(GemmBackend::Blas) ? GemmBackend::Blas : GemmBackend::Eigen;
    const GemmBackend small_products = gemm_backend_available(GemmBackend::Xsmm) ? GemmBackend::Xsmm : big;
    for (auto [ta, tb] : {std::pair{Trans::No, Trans::Yes}, {Trans::Yes, Trans::No}, {Trans::No, Trans::No}}) {
        CHECK(auto_backend<float>(ta, tb, 64, 512, 1280, 1.0f, 0.0f) == small_products);
        CHECK(auto_backend<float>(ta, tb, 640, 256, 128, 1.0f, 1.0f) == small_products);
        CHECK(auto_backend<float>(ta, tb, 10240, 256, 128, 1.0f, 0.0f) == small_products);
        CHECK(auto_backend<float>(ta, tb, 64, 512, 1280, 0.5f, 0.0f) == big);   // libxsmm: alpha 1 only
        CHECK(auto_backend<double>(ta, tb, 64, 512, 1280, 1.0, 0.0) == big);    // libxsmm: float only
    }
    CHECK(auto_backend<float>(Trans::Yes, Trans::Yes, 64, 512, 1280, 1.0f, 0.0f) == big);
    CHECK(auto_backend<float>(Trans::No, Trans::No, 1, 512, 1280, 1.0f, 0.0f) == big);  // gemv
    CHECK(auto_backend<float>(Trans::No, Trans::No, 2048, 2048, 2048, 1.0f, 0.0f) == big);
    CHECK(auto_backend<float>(Trans::No, Trans::No, 4, 4, 4, 1.0f, 0.0f) == GemmBackend::Eigen);
}

TEST_CASE("gemm from two threads at once gives each thread its own product", "[tensor][gemm]") {
    // Two threads, different shapes and transposes, through the JIT caches and scratch buffers.
    auto work = [](Index m, Index n, Index k, Trans ta, Trans tb, std::uint64_t seed, int* mismatches) {
        const bool tra = ta == Trans::Yes, trb = tb == Trans::Yes;
        Padded a(tra ? k : m, tra ? m : k, 0, seed), b(trb ? n : k, trb ? k : n, 0, seed + 1);
        Tensor<float> c(Shape{m, n}), first(Shape{m, n});
        gemm<float>(ta, tb, 1.0f, a.ref(), b.ref(), 0.0f, first.mref());
        for (int round = 0; round < 50; ++round) {
            gemm<float>(ta, tb, 1.0f, a.ref(), b.ref(), 0.0f, c.mref());
            for (Index i = 0; i < c.size(); ++i)
                if (c[i] != first[i]) ++*mismatches;
        }
    };
    int bad1 = 0, bad2 = 0;
    std::thread t1(work, 64, 256, 512, Trans::No, Trans::Yes, 11, &bad1);
    std::thread t2(work, 640, 256, 128, Trans::No, Trans::Yes, 21, &bad2);
    t1.join();
    t2.join();
    CHECK(bad1 == 0);
    CHECK(bad2 == 0);
    // and the results are the products themselves
    check_case(GemmBackend::Auto, Trans::No, Trans::Yes, {64, 256, 512}, 1.0f, 0.0f, 0);
}

TEST_CASE("polytag::gemm allocates nothing after the first call of a shape", "[tensor][gemm]") {
    std::vector<Padded> ops;
    struct P {
        Trans ta, tb;
        Case s;
    };
    const std::vector<P> products = {{Trans::No, Trans::Yes, {64, 512, 1280}}, {Trans::Yes, Trans::No, {512, 1280, 64}},
                                     {Trans::No, Trans::No, {64, 512, 256}},   {Trans::No, Trans::Yes, {640, 256, 128}},
                                     {Trans::No, Trans::Yes, {1, 512, 1280}},  {Trans::No, Trans::No, {5, 6, 7}}};
    std::vector<Tensor<float>> as, bs, cs;
    for (const P& p : products) {
        const bool tra = p.ta == Trans::Yes, trb = p.tb == Trans::Yes;
        as.emplace_back(Shape{tra ? p.s.k : p.s.m, tra ? p.s.m : p.s.k}, 0.5f);
        bs.emplace_back(Shape{trb ? p.s.n : p.s.k, trb ? p.s.k : p.s.n}, 0.25f);
        cs.emplace_back(Shape{p.s.m, p.s.n}, 0.0f);
    }
    auto run_all = [&] {
        for (std::size_t i = 0; i < products.size(); ++i)
            gemm<float>(products[i].ta, products[i].tb, 1.0f, as[i].mref(), bs[i].mref(), 0.0f, cs[i].mref());
    };
    run_all();  // JIT kernels and scratch made here
    const long news = test::operator_new_calls(), mallocs = test::malloc_calls();
    for (int i = 0; i < 5; ++i) run_all();
    CHECK(test::operator_new_calls() == news);
#if defined(POLYTAG_USE_BLAS) || defined(POLYTAG_USE_LIBXSMM)
    CHECK(test::malloc_calls() == mallocs);
#else
    // Eigen alone: Eigen's GEMM mallocs the packing blocks of a product whose blocks pass
    // EIGEN_STACK_ALLOCATION_LIMIT (128 KB; 64 x 512 x 1280 here) in every call - Eigen's
    // behaviour, which the library user controls with that macro. Smaller ones pack on the stack.
    CHECK(test::malloc_calls() - mallocs <= 5 * long(products.size()));
#endif
    for (std::size_t i = 0; i < products.size(); ++i) CHECK(cs[i][0] == Approx(0.125 * double(products[i].s.k)));
}

TEST_CASE("polytag::gemm allocates nothing for a smaller batch after the largest", "[tensor][gemm]") {
    // A layer's products at batch 640, then 17 and 64 (a last partial batch, a new JIT shape
    // each): libxsmm's JIT and the scratch buffers must not allocate for the smaller ones.
    auto run = [](Index m) {
        Tensor<float> x(Shape{m, 128}, 0.5f), w(Shape{256, 128}, 0.25f), y(Shape{m, 256}), dy(Shape{m, 256}, 1.0f),
            dw(Shape{256, 128}), dx(Shape{m, 128});
        const long news = test::operator_new_calls(), mallocs = test::malloc_calls();
        gemm<float>(Trans::No, Trans::Yes, 1.0f, x.mref(), w.mref(), 0.0f, y.mref());
        gemm<float>(Trans::Yes, Trans::No, 1.0f, dy.mref(), x.mref(), 0.0f, dw.mref());
        gemm<float>(Trans::No, Trans::No, 1.0f, dy.mref(), w.mref(), 0.0f, dx.mref());
        const long dn = test::operator_new_calls() - news, dm = test::malloc_calls() - mallocs;
        CHECK(y[0] == Approx(16.0));
        CHECK(dw[0] == Approx(0.5 * double(m)));
        CHECK(dx[0] == Approx(64.0));
        return std::pair<long, long>{dn, dm};
    };
    run(640);
    for (Index m : {17, 64, 3}) {
        const auto [dn, dm] = run(m);  // the Tensors above are made before counting starts
        INFO("m=" << m);
        CHECK(dn == 0);
        CHECK(dm == 0);
    }
}
