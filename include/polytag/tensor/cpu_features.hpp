#pragma once
// Run-time instruction-set checks for the kernels that carry their own instruction set in a
// target attribute, so that a program compiled without -march (a library user's default
// flags) still runs them on a CPU that has it: adam_update's AVX kernel (optim/adam_update.hpp)
// and exp_elementwise's AVX2 kernel (tensor/avx2_kernels.hpp). Each CPU question is asked once.
//
// POLYTAG_X86_DISPATCH is 1 where such kernels exist: x86 with GCC or Clang (target attributes,
// vector extensions, __builtin_cpu_supports).
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define POLYTAG_X86_DISPATCH 1
#else
#define POLYTAG_X86_DISPATCH 0
#endif

namespace polytag::detail {

#if POLYTAG_X86_DISPATCH
/// Whether this CPU (and its operating system) runs AVX code.
inline bool cpu_has_avx() {
    static const bool yes = __builtin_cpu_supports("avx");
    return yes;
}

/// Whether it runs AVX2 and FMA code.
inline bool cpu_has_avx2_fma() {
    static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return yes;
}
#endif

}  // namespace polytag::detail
