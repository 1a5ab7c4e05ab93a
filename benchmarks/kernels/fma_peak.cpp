// One core's FMA peak: a register-only loop of 12 independent fused multiply-adds per
// iteration (enough chains to cover the FMA latency on two pipes), 256-bit (AVX2 + FMA) and,
// where the CPU has it, 512-bit (AVX-512F). The bound every other figure is compared with:
// FLOP/s = 2 x (8 or 16 lanes) x 12 per iteration. Inline assembly, so that no -march is needed
// and the compiler cannot spill or fold the accumulators. BM_vnni_peak_avx512 is the same loop
// of AVX-512 VNNI vpdpbusd (u8 x s8 -> s32, 64 multiply-adds each): the bound of gemm_u8s8,
// in OP/s (2 per multiply-add). BM_div_peak_avx512 is the floor of Adam's one slow operation,
// the division of its update: one vdivps per 16 parameters, in params/s, to set against
// BM_adam_step and BM_adam_memory_floor (bench_loss_optim). (Its square root is Eigen's psqrt,
// which under EIGEN_FAST_MATH, Eigen's default, is a reciprocal square root refined by
// multiply-adds, not vsqrtps; an exact vsqrtps would take the same unit as long again.)
#include <benchmark/benchmark.h>

namespace {

#define POLYTAG_FMA12(reg)                                                                                          \
    "vfmadd231ps %%" reg "1, %%" reg "2, %%" reg "4\n\t"                                                           \
    "vfmadd231ps %%" reg "1, %%" reg "2, %%" reg "5\n\t"                                                           \
    "vfmadd231ps %%" reg "1, %%" reg "2, %%" reg "6\n\t"                                                           \
    "vfmadd231ps %%" reg "1, %%" reg "2, %%" reg "7\n\t"                                                           \
    "vfmadd231ps %%" reg "1, %%" reg "2, %%" reg "8\n\t"                                                           \
    "vfmadd231ps %%" reg "1, %%" reg "2, %%" reg "9\n\t"                                                           \
    "vfmadd231ps %%" reg "1, %%" reg "2, %%" reg "10\n\t"                                                          \
    "vfmadd231ps %%" reg "1, %%" reg "2, %%" reg "11\n\t"                                                          \
    "vfmadd231ps %%" reg "1, %%" reg "2, %%" reg "12\n\t"                                                          \
    "vfmadd231ps %%" reg "1, %%" reg "2, %%" reg "13\n\t"                                                          \
    "vfmadd231ps %%" reg "1, %%" reg "2, %%" reg "14\n\t"                                                          \
    "vfmadd231ps %%" reg "1, %%" reg "2, %%" reg "15\n\t"

constexpr long kIters = 1 << 20;

/// Runs SETUP (which sets registers 1 and 2; eax is free), then BODY (12 independent results
/// into registers 4 to 15 from registers 1 and 2) kIters times per benchmark iteration.
#define POLYTAG_PEAK_LOOP_WITH(state, SETUP, BODY)                                                                  \
    for (auto _ : state) {                                                                                          \
        long n = kIters;                                                                                            \
        asm volatile(SETUP "1:\n\t" BODY "dec %0\n\tjnz 1b\n\tvzeroupper\n\t"                                    \
                     : "+r"(n)                                                                                      \
                     :                                                                                              \
                     : "eax", "xmm1", "xmm2", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",     \
                       "xmm12", "xmm13", "xmm14", "xmm15", "cc");                                                   \
    }
/// The same with registers 1 and 2 zeroed (the FMA and vpdpbusd loops: their values do not matter).
#define POLYTAG_PEAK_LOOP(state, BODY) \
    POLYTAG_PEAK_LOOP_WITH(state, "vxorps %%ymm1, %%ymm1, %%ymm1\n\tvxorps %%ymm2, %%ymm2, %%ymm2\n\t", BODY)

void BM_fma_peak_avx2(benchmark::State& state) {
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        state.SkipWithError("no AVX2 + FMA");
        return;
    }
    POLYTAG_PEAK_LOOP(state, POLYTAG_FMA12("ymm"))
    state.counters["FLOP/s"] = benchmark::Counter(double(kIters) * 12 * 8 * 2, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_fma_peak_avx2);

void BM_fma_peak_avx512(benchmark::State& state) {
    if (!__builtin_cpu_supports("avx512f")) {
        state.SkipWithError("no AVX-512F");
        return;
    }
    POLYTAG_PEAK_LOOP(state, POLYTAG_FMA12("zmm"))
    state.counters["FLOP/s"] = benchmark::Counter(double(kIters) * 12 * 16 * 2, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_fma_peak_avx512);

#define POLYTAG_VNNI12                                                                                              \
    "vpdpbusd %%zmm1, %%zmm2, %%zmm4\n\t"                                                                            \
    "vpdpbusd %%zmm1, %%zmm2, %%zmm5\n\t"                                                                            \
    "vpdpbusd %%zmm1, %%zmm2, %%zmm6\n\t"                                                                            \
    "vpdpbusd %%zmm1, %%zmm2, %%zmm7\n\t"                                                                            \
    "vpdpbusd %%zmm1, %%zmm2, %%zmm8\n\t"                                                                            \
    "vpdpbusd %%zmm1, %%zmm2, %%zmm9\n\t"                                                                            \
    "vpdpbusd %%zmm1, %%zmm2, %%zmm10\n\t"                                                                           \
    "vpdpbusd %%zmm1, %%zmm2, %%zmm11\n\t"                                                                           \
    "vpdpbusd %%zmm1, %%zmm2, %%zmm12\n\t"                                                                           \
    "vpdpbusd %%zmm1, %%zmm2, %%zmm13\n\t"                                                                           \
    "vpdpbusd %%zmm1, %%zmm2, %%zmm14\n\t"                                                                           \
    "vpdpbusd %%zmm1, %%zmm2, %%zmm15\n\t"

void BM_vnni_peak_avx512(benchmark::State& state) {
    if (!__builtin_cpu_supports("avx512vnni")) {
        state.SkipWithError("no AVX-512 VNNI");
        return;
    }
    POLYTAG_PEAK_LOOP(state, POLYTAG_VNNI12)
    state.counters["OP/s"] = benchmark::Counter(double(kIters) * 12 * 64 * 2, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_vnni_peak_avx512);

void BM_div_peak_avx512(benchmark::State& state) {
    if (!__builtin_cpu_supports("avx512f")) {
        state.SkipWithError("no AVX-512F");
        return;
    }
    // 12 divisions of constants (1.7 / 2.9: full mantissas, no early-out as for a power of 2) into
    // independent registers per iteration: the divide unit's throughput, not its latency.
    POLYTAG_PEAK_LOOP_WITH(state,
                           "mov $0x3fd9999a, %%eax\n\tvpbroadcastd %%eax, %%zmm1\n\t"
                           "mov $0x4039999a, %%eax\n\tvpbroadcastd %%eax, %%zmm2\n\t",
                           "vdivps %%zmm1, %%zmm2, %%zmm4\n\tvdivps %%zmm1, %%zmm2, %%zmm5\n\t"
                           "vdivps %%zmm1, %%zmm2, %%zmm6\n\tvdivps %%zmm1, %%zmm2, %%zmm7\n\t"
                           "vdivps %%zmm1, %%zmm2, %%zmm8\n\tvdivps %%zmm1, %%zmm2, %%zmm9\n\t"
                           "vdivps %%zmm1, %%zmm2, %%zmm10\n\tvdivps %%zmm1, %%zmm2, %%zmm11\n\t"
                           "vdivps %%zmm1, %%zmm2, %%zmm12\n\tvdivps %%zmm1, %%zmm2, %%zmm13\n\t"
                           "vdivps %%zmm1, %%zmm2, %%zmm14\n\tvdivps %%zmm1, %%zmm2, %%zmm15\n\t")
    state.counters["params/s"] = benchmark::Counter(double(kIters) * 12 * 16, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_div_peak_avx512);

}  // namespace
