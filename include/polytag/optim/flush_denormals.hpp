#pragma once
// FlushDenormals: while an object lives, the calling thread's SSE/AVX unit flushes subnormal
// results to zero and reads subnormal inputs as zero (x86 MXCSR FTZ + DAZ); its destructor
// restores the previous mode. On other targets it does nothing.
//
// Why the optimizers hold one during step(): wherever a gradient is exactly zero (a dead ReLU
// unit, a task unobserved in the batch) a moment decays geometrically, m *= beta1 each step, and
// passes through the subnormal range (about 150 steps at beta1 = 0.9) on its way to zero. x86
// cores take a slow path on subnormal results: in the reference workload the Adam step took
// about a third longer in the epochs where such moments appear (docs/speed.md). What the
// flush changes: a moment below 1.2e-38 becomes 0 a few steps early; the parameter change it
// would have made, lr * m / (sqrt(v) + eps) < 1e-3 * 1.2e-38 / 1e-8, is below one rounding step
// of any parameter larger than 1e-26 in magnitude.
#if defined(__SSE__) || defined(_M_X64)
#include <xmmintrin.h>
#define POLYTAG_HAS_MXCSR 1
#endif

namespace polytag {

class FlushDenormals {
public:
#if POLYTAG_HAS_MXCSR
    FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kFtz | kDaz); }
    ~FlushDenormals() { _mm_setcsr(saved_); }
#else
    FlushDenormals() = default;
#endif
    FlushDenormals(const FlushDenormals&) = delete;
    FlushDenormals& operator=(const FlushDenormals&) = delete;

private:
#if POLYTAG_HAS_MXCSR
    static constexpr unsigned kFtz = 0x8000, kDaz = 0x0040;
    unsigned saved_;
#endif
};

}  // namespace polytag
