#pragma once
// One knob for every thread pool polytag uses. With OpenBLAS, its pool is the only one
// that runs GEMMs; Eigen's own products are kept single-threaded so that two pools
// never spin against each other.
#include <Eigen/Core>

#if defined(POLYTAG_USE_BLAS)
extern "C" {
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);
}
#endif
#if defined(POLYTAG_USE_DNNL)
extern "C" void omp_set_num_threads(int);  // oneDNN (Debian's build) runs on OpenMP
#endif

namespace polytag {

/// Sets the number of threads for BLAS products (and Eigen's when there is no BLAS, and
/// oneDNN's OpenMP pool when built with it). libxsmm's kernels always run on the calling thread.
inline void set_num_threads(int n) {
    if (n < 1) n = 1;
#if defined(POLYTAG_USE_DNNL)
    omp_set_num_threads(n);
#endif
#if defined(POLYTAG_USE_BLAS)
    openblas_set_num_threads(n);
    Eigen::setNbThreads(1);
#else
    Eigen::setNbThreads(n);
#endif
}

inline int num_threads() {
#if defined(POLYTAG_USE_BLAS)
    return openblas_get_num_threads();
#else
    return Eigen::nbThreads();
#endif
}

}  // namespace polytag
