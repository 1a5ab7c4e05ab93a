# The run-time AVX2 kernels' tests without AVX: exp_elementwise then runs avx2_kernels.hpp's kernel.
polytag_noavx_tests(tensor test_avx2_kernels.cpp)
