# The optimizer tests once more, compiled without AVX (as a library user's program built
# without -march): there Adam<float> runs adam_update.hpp's run-time AVX kernel, which the
# -march=native build above never reaches on an AVX2 CPU.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|i.86" AND CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  add_executable(polytag_test_optim_noavx ${CMAKE_CURRENT_SOURCE_DIR}/optim/test_adam.cpp
                 ${CMAKE_CURRENT_SOURCE_DIR}/optim/test_adam_update.cpp $<TARGET_OBJECTS:polytag_catch_main>)
  target_link_libraries(polytag_test_optim_noavx PRIVATE polytag::polytag polytag_programs Catch2::Catch2)
  target_include_directories(polytag_test_optim_noavx PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  # An explicit -mno-avx wins over -march=native whatever the order (and takes AVX2, FMA and
  # AVX-512 with it).
  target_compile_options(polytag_test_optim_noavx PRIVATE -mno-avx)
  catch_discover_tests(polytag_test_optim_noavx TEST_PREFIX "optim (no AVX): "
                       PROPERTIES SKIP_REGULAR_EXPRESSION "skipped: ")
endif()
