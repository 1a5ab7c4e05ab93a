// xtensor's xt::load_npy is an independent .npy reader: both must agree on numpy's files
// and on the files polytag writes.
#include <catch2/catch.hpp>

#include <xtensor/xarray.hpp>
#include <xtensor/xnpy.hpp>

#include "io/io_test_util.hpp"

using namespace polytag;
using namespace polytag::io;
using polytag::test::io_fixture;

namespace {
template <typename T>
void agree(const std::string& path) {
    INFO(path);
    const xt::xarray<T> x = xt::load_npy<T>(path);
    const Tensor<T> t = load_npy<T>(path);
    REQUIRE(std::size_t(t.rank()) == x.dimension());
    for (int k = 0; k < t.rank(); ++k) CHECK(std::size_t(t.dim(k)) == x.shape()[std::size_t(k)]);
    // Compare element by multi-index so that xtensor's own memory layout does not matter.
    std::vector<std::size_t> idx(x.dimension(), 0);
    for (Index flat = 0; flat < t.size(); ++flat) {
        Index rest = flat;
        for (std::size_t k = x.dimension(); k-- > 0;) {
            idx[k] = std::size_t(rest % t.dim(int(k)));
            rest /= t.dim(int(k));
        }
        if (!(x.element(idx.begin(), idx.end()) == t[flat])) FAIL("element " << flat << " differs");
    }
}
}  // namespace

TEST_CASE("xt::load_npy agrees on numpy's .npy fixtures", "[io]") {
    agree<double>(io_fixture("f8.npy"));
    agree<float>(io_fixture("f4.npy"));
    agree<std::int16_t>(io_fixture("i2.npy"));
    agree<std::int64_t>(io_fixture("i8_extremes.npy"));
    agree<std::uint8_t>(io_fixture("u1.npy"));
    agree<std::uint64_t>(io_fixture("u8_max.npy"));
    agree<double>(io_fixture("fortran_f8.npy"));
    agree<std::int16_t>(io_fixture("fortran_i2.npy"));
    agree<double>(io_fixture("scalar_f8.npy"));
}

TEST_CASE("xt::load_npy reads what save_npy writes", "[io]") {
    polytag::test::TempDir dir;
    Tensor<float> a(Shape{3, 5, 2});
    for (Index i = 0; i < a.size(); ++i) a[i] = float(i) * 0.5f - 3.0f;
    save_npy(dir.file("a.npy"), a);
    agree<float>(dir.file("a.npy"));
    Tensor<std::int32_t> b(Shape{4});
    for (Index i = 0; i < b.size(); ++i) b[i] = std::int32_t(i * 1000 - 2000);
    save_npy(dir.file("b.npy"), b);
    agree<std::int32_t>(dir.file("b.npy"));
}
