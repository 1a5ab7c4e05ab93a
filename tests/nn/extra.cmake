# MultiHead, Dense and the activations without AVX: the per-task output layer, the bias and ReLU
# then run tensor/avx2_kernels.hpp's kernels.
polytag_noavx_tests(nn test_multi_head.cpp test_dense_sequential.cpp test_activation.cpp)
