# Optional GEMM backends of polytag::core, each found at configure time and skipped with a
# warning when missing; OpenBLAS (POLYTAG_USE_BLAS) stays the portable path and Eigen the last.
#
#   POLYTAG_USE_LIBXSMM  libxsmm JIT small-GEMM kernels (Debian libxsmm-dev, BSD-3): ON by
#                        default. polytag::gemm sends the network's float products to it (see
#                        include/polytag/tensor/kernels.hpp and docs/speed.md).
#   POLYTAG_USE_DNNL     oneDNN matmul (Debian libdnnl-dev, Apache-2.0): OFF by default. Offered
#                        as the explicit backend GemmBackend::Dnnl only, never chosen by the
#                        dispatch: every oneDNN execute() allocates, which would break polytag's
#                        no-allocation guarantee.
#
# Included by the top-level CMakeLists.txt right after polytag_core is defined. The installed
# polytag-config.cmake looks the same libraries up again (see its core part).
option(POLYTAG_USE_LIBXSMM "Send small float products to libxsmm JIT kernels (libxsmm-dev)" ON)
option(POLYTAG_USE_DNNL "Offer oneDNN matmul as an explicit GEMM backend (libdnnl-dev)" OFF)

if(POLYTAG_USE_LIBXSMM)
  find_path(POLYTAG_LIBXSMM_INCLUDE_DIR libxsmm.h)
  find_library(POLYTAG_LIBXSMM_LIBRARY NAMES xsmm PATHS /usr/lib)
  if(POLYTAG_LIBXSMM_INCLUDE_DIR AND POLYTAG_LIBXSMM_LIBRARY)
    target_compile_definitions(polytag_core INTERFACE POLYTAG_USE_LIBXSMM)
    target_include_directories(polytag_core INTERFACE ${POLYTAG_LIBXSMM_INCLUDE_DIR})
    # libxsmm's own BLAS fallback is never called (polytag only asks for JIT kernels), but
    # libxsmm.a references sgemm_/dgemm_: OpenBLAS resolves them, libxsmmnoblas otherwise.
    set(_polytag_xsmm_libs ${POLYTAG_LIBXSMM_LIBRARY})
    if(NOT POLYTAG_USE_BLAS)
      find_library(POLYTAG_LIBXSMMNOBLAS_LIBRARY NAMES xsmmnoblas PATHS /usr/lib)
      if(POLYTAG_LIBXSMMNOBLAS_LIBRARY)
        list(APPEND _polytag_xsmm_libs ${POLYTAG_LIBXSMMNOBLAS_LIBRARY})
      endif()
    endif()
    target_link_libraries(polytag_core INTERFACE ${_polytag_xsmm_libs} ${CMAKE_DL_LIBS} pthread m rt)
  else()
    message(WARNING "polytag: libxsmm not found (libxsmm-dev): POLYTAG_USE_LIBXSMM is OFF")
    set(POLYTAG_USE_LIBXSMM OFF)
  endif()
endif()

if(POLYTAG_USE_DNNL)
  # dnnl-config.cmake insists on the OpenCL headers (its GPU runtime), so look the library up directly.
  find_path(POLYTAG_DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.hpp)
  find_library(POLYTAG_DNNL_LIBRARY NAMES dnnl)
  find_package(OpenMP)
  if(POLYTAG_DNNL_INCLUDE_DIR AND POLYTAG_DNNL_LIBRARY AND OpenMP_CXX_FOUND)
    target_compile_definitions(polytag_core INTERFACE POLYTAG_USE_DNNL)
    target_include_directories(polytag_core INTERFACE ${POLYTAG_DNNL_INCLUDE_DIR})
    # OpenMP: oneDNN (Debian's build) runs on OpenMP, whose thread count set_num_threads sets.
    target_link_libraries(polytag_core INTERFACE ${POLYTAG_DNNL_LIBRARY} OpenMP::OpenMP_CXX)
  else()
    message(WARNING "polytag: oneDNN or OpenMP not found (libdnnl-dev): POLYTAG_USE_DNNL is OFF")
    set(POLYTAG_USE_DNNL OFF)
  endif()
endif()
message(STATUS "polytag GEMM backends: OpenBLAS=${POLYTAG_USE_BLAS} libxsmm=${POLYTAG_USE_LIBXSMM} oneDNN=${POLYTAG_USE_DNNL}")
