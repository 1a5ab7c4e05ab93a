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

# The polytag-npz tool itself (built with the examples).
if(TARGET polytag-npz)
  set(_io_fixtures ${CMAKE_CURRENT_SOURCE_DIR}/data/io)
  add_test(NAME io:polytag-npz-list COMMAND polytag-npz ${_io_fixtures}/savez_compressed.npz)
  set_tests_properties(io:polytag-npz-list PROPERTIES PASS_REGULAR_EXPRESSION
    "^X\tuint8\t2,10,4\nY_true\tfloat64\t2,2\nY_mask\tbool\t2,2\nsample_key\tobject\t2\n$")
  add_test(NAME io:polytag-npz-head COMMAND polytag-npz ${_io_fixtures}/savez.npz Y_true --head 3)
  set_tests_properties(io:polytag-npz-head PROPERTIES PASS_REGULAR_EXPRESSION "^0.5\n1.0\n0.0\n$")
  add_test(NAME io:polytag-npz-bad-file COMMAND polytag-npz ${_io_fixtures}/f8.npy)
  set_tests_properties(io:polytag-npz-bad-file PROPERTIES WILL_FAIL TRUE)
  add_test(NAME io:polytag-npz-bad-file-message COMMAND polytag-npz ${_io_fixtures}/f8.npy)
  set_tests_properties(io:polytag-npz-bad-file-message PROPERTIES
    PASS_REGULAR_EXPRESSION "polytag-npz: f8.npy: not a readable zip archive")
endif()
