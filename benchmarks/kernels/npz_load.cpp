// Loading openmic-2018.npz with polytag::io::NpzReader from a warm page cache, reported as
// GB/s of file bytes (counter B/s; G/s means GB/s). benchmarks/npz_load_numpy.py measures
// np.load on the same file for comparison. The file is POLYTAG_NPZ, by default
// ../shared/data/openmic-like/openmic-2018.npz (20,000 clips, 30 MB).
#include <cstdlib>
#include <string>
#include <sys/stat.h>

#include "polytag/io/npz.hpp"
#include "support/bench_util.hpp"

namespace {

std::string npz_path() {
    if (const char* env = std::getenv("POLYTAG_NPZ")) return env;
#ifdef POLYTAG_SHARED_DATA_DIR
    return std::string(POLYTAG_SHARED_DATA_DIR) + "/openmic-like/openmic-2018.npz";
#else
    return "../shared/data/openmic-like/openmic-2018.npz";
#endif
}

/// File size, or -1 (and the benchmark skipped) when the file is missing.
double file_bytes(benchmark::State& state, const std::string& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
        state.SkipWithError(("no " + path + " (set POLYTAG_NPZ)").c_str());
        return -1;
    }
    return double(st.st_size);
}

// Everything as the data loader reads it: X as uint8, Y_true as double, Y_mask as bool, the keys.
template <typename XT, typename YT>
void BM_NpzLoadAll(benchmark::State& state) {
    const std::string path = npz_path();
    const double bytes = file_bytes(state, path);
    if (bytes < 0) return;
    for (auto _ : state) {
        polytag::io::NpzReader npz(path);
        auto x = npz.read<XT>("X");
        auto y = npz.read<YT>("Y_true");
        auto m = npz.read<bool>("Y_mask");
        auto keys = npz.read_strings("sample_key");
        benchmark::DoNotOptimize(x.data());
        benchmark::DoNotOptimize(y.data());
        benchmark::DoNotOptimize(m.data());
        benchmark::DoNotOptimize(keys.data());
    }
    polytag::bench::set_bytes(state, bytes);
}
// As stored, and with X and Y_true converted to float32 on the way (the training input type).
BENCHMARK_TEMPLATE(BM_NpzLoadAll, std::uint8_t, double)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_NpzLoadAll, float, float)->Unit(benchmark::kMillisecond);

// X alone, straight into the Tensor buffer: the libzip + CRC-32 floor.
void BM_NpzReadX(benchmark::State& state) {
    const std::string path = npz_path();
    if (file_bytes(state, path) < 0) return;
    polytag::io::NpzReader npz(path);
    const auto info = npz.info("X");
    for (auto _ : state) {
        auto x = npz.read<std::uint8_t>("X");
        benchmark::DoNotOptimize(x.data());
    }
    polytag::bench::set_bytes(state, double(info.element_count()));
}
BENCHMARK(BM_NpzReadX)->Unit(benchmark::kMillisecond);

// The pickled sample keys alone (safe unpickler).
void BM_NpzReadSampleKeys(benchmark::State& state) {
    const std::string path = npz_path();
    if (file_bytes(state, path) < 0) return;
    polytag::io::NpzReader npz(path);
    for (auto _ : state) {
        auto keys = npz.read_strings("sample_key");
        benchmark::DoNotOptimize(keys.data());
    }
}
BENCHMARK(BM_NpzReadSampleKeys)->Unit(benchmark::kMillisecond);

}  // namespace
