# The MultiHead, Dense and activation tests once more, compiled without AVX (as a library
# user's program built without -march): there the per-task output layer, the bias and ReLU run
# tensor/avx2_kernels.hpp's AVX2 kernels, which the -march=native build above never reaches on
# an AVX2 CPU.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|i.86" AND CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  add_executable(polytag_test_nn_noavx ${CMAKE_CURRENT_SOURCE_DIR}/nn/test_multi_head.cpp
                 ${CMAKE_CURRENT_SOURCE_DIR}/nn/test_dense_sequential.cpp
                 ${CMAKE_CURRENT_SOURCE_DIR}/nn/test_activation.cpp $<TARGET_OBJECTS:polytag_catch_main>)
  target_link_libraries(polytag_test_nn_noavx PRIVATE polytag::polytag polytag_programs Catch2::Catch2)
  target_include_directories(polytag_test_nn_noavx PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  # An explicit -mno-avx wins over -march=native whatever the order (and takes AVX2, FMA and
  # AVX-512 with it).
  target_compile_options(polytag_test_nn_noavx PRIVATE -mno-avx)
  catch_discover_tests(polytag_test_nn_noavx TEST_PREFIX "nn (no AVX): "
                       PROPERTIES SKIP_REGULAR_EXPRESSION "skipped: ")
endif()
