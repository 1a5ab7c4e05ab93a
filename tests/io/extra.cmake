# numpy round trip: polytag_test_io writes .npy/.npz files, then Debian's numpy loads them
# with allow_pickle=False and compares values (python3-numpy is required, as in CI).
set(POLYTAG_NUMPY_PYTHON /usr/bin/python3 CACHE FILEPATH "Python interpreter with numpy for the io round-trip test")
set(_io_roundtrip_dir ${CMAKE_CURRENT_BINARY_DIR}/io-numpy-roundtrip)
add_test(NAME io:numpy-roundtrip-write
         COMMAND ${CMAKE_COMMAND} -E env POLYTAG_IO_OUT=${_io_roundtrip_dir}
                 $<TARGET_FILE:polytag_test_io> "[.numpy-roundtrip]")
set_tests_properties(io:numpy-roundtrip-write PROPERTIES FIXTURES_SETUP polytag_io_numpy)
add_test(NAME io:numpy-roundtrip-check
         COMMAND ${POLYTAG_NUMPY_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/io/check_numpy_roundtrip.py ${_io_roundtrip_dir})
set_tests_properties(io:numpy-roundtrip-check PROPERTIES FIXTURES_REQUIRED polytag_io_numpy)
