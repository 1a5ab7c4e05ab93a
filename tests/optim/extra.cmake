# The optimizer tests without AVX: Adam<float> then runs adam_update.hpp's AVX kernel.
polytag_noavx_tests(optim test_adam.cpp test_adam_update.cpp)
