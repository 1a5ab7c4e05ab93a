#pragma once
// A small, fully specified random generator (xoshiro256** seeded by splitmix64), so that
// initialisation, dropout and shuffles give the same numbers on every platform and
// standard library (std::normal_distribution does not).
#include <cmath>
#include <cstdint>
#include <utility>

namespace polytag {

class Rng {
public:
    explicit Rng(std::uint64_t seed = 0) { reseed(seed); }

    void reseed(std::uint64_t seed) {
        for (auto& s : s_) {
            seed += 0x9e3779b97f4a7c15ULL;
            std::uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            s = z ^ (z >> 31);
        }
        has_spare_ = false;
    }

    std::uint64_t next() {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }
    /// Uniform in [0, 1), 53 random bits.
    double uniform() { return double(next() >> 11) * 0x1.0p-53; }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    /// Uniform integer in [0, n), unbiased.
    std::uint64_t below(std::uint64_t n) {
        const std::uint64_t limit = ~std::uint64_t(0) - (~std::uint64_t(0) % n);
        std::uint64_t r;
        do r = next();
        while (r >= limit);
        return r % n;
    }
    /// Standard normal (Marsaglia polar method).
    double normal() {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        double u, v, q;
        do {
            u = uniform(-1.0, 1.0);
            v = uniform(-1.0, 1.0);
            q = u * u + v * v;
        } while (q >= 1.0 || q == 0.0);
        const double f = std::sqrt(-2.0 * std::log(q) / q);
        spare_ = v * f;
        has_spare_ = true;
        return u * f;
    }
    double normal(double mean, double stddev) { return mean + stddev * normal(); }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t s_[4];
    double spare_ = 0;
    bool has_spare_ = false;
};

/// Fisher-Yates shuffle of [first, last) with an Rng; no allocation.
template <typename It>
void shuffle(It first, It last, Rng& rng) {
    for (auto n = last - first; n > 1; --n) {
        auto j = static_cast<decltype(n)>(rng.below(static_cast<std::uint64_t>(n)));
        std::swap(first[n - 1], first[j]);
    }
}

}  // namespace polytag
