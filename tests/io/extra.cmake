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

# The polytag-npz tool itself (built with the examples): exit 0 ok, 1 unreadable file or
# array, 2 bad arguments; runs through tests/tools/run_tool.cmake.
if(TARGET polytag-npz)
  set(_io_fixtures ${CMAKE_CURRENT_SOURCE_DIR}/data/io)
  set(_npz_runner ${CMAKE_CURRENT_SOURCE_DIR}/tools/run_tool.cmake)
  set(_npz_work ${CMAKE_CURRENT_BINARY_DIR}/io-npz-tool)
  function(polytag_npz_test name expect_rc args)
    add_test(NAME io:polytag-npz-${name}
             COMMAND ${CMAKE_COMMAND} -DTOOL=$<TARGET_FILE:polytag-npz> "-DARGS=${args}" -DEXPECT_RC=${expect_rc}
                     -DWORKDIR=${_npz_work} ${ARGN} -P ${_npz_runner})
  endfunction()
  polytag_npz_test(list 0 "${_io_fixtures}/savez_compressed.npz"
    "-DSTDOUT_REGEX=^X\tuint8\t2,10,4\nY_true\tfloat64\t2,2\nY_mask\tbool\t2,2\nsample_key\tobject\t2\n$")
  polytag_npz_test(head 0 "${_io_fixtures}/savez.npz|Y_true|--head|3" "-DSTDOUT_REGEX=^0.5\n1.0\n0.0\n$")
  # A numpy user's .npy file: one array, named after the file.
  polytag_npz_test(npy-list 0 "${_io_fixtures}/f8.npy" "-DSTDOUT_REGEX=^f8\tfloat64\t[0-9,]+\n$")
  polytag_npz_test(npy-head 0 "${_io_fixtures}/f8.npy|f8|--head|2" -DSTDOUT_LINES=2)
  # Neither: the whole path in a one-line error, exit 1.
  polytag_npz_test(bad-file 1 "${_io_fixtures}/../openmic/numpy-release/class-map.json"
    "-DSTDERR_REGEX=^polytag-npz: error: ${_io_fixtures}/../openmic/numpy-release/class-map.json: not a readable zip archive"
    -DONE_LINE_STDERR=ON)
  polytag_npz_test(missing-file 1 "no/such.npz" "-DSTDERR_REGEX=^polytag-npz: error: no/such.npz: cannot open" -DONE_LINE_STDERR=ON)
  polytag_npz_test(no-file-argument 2 "" "-DSTDERR_REGEX=^polytag-npz: error: FILE is required" -DONE_LINE_STDERR=ON)
  polytag_npz_test(head-needs-name 2 "${_io_fixtures}/savez.npz|--head|3" "-DSTDERR_REGEX=^polytag-npz: error: .*NAME"
    -DONE_LINE_STDERR=ON)
  polytag_npz_test(unknown-array 1 "${_io_fixtures}/savez.npz|nope|--head|1" "-DSTDERR_REGEX=no array named 'nope'")
  # One unsupported (complex) entry: every entry is listed, that one marked, exit 1.
  add_test(NAME io:polytag-npz-make-complex
           COMMAND ${POLYTAG_NUMPY_PYTHON} -c
             "import numpy as np, sys, os; os.makedirs(sys.argv[1], exist_ok=True); np.savez(sys.argv[1] + '/mixed.npz', a=np.arange(3, dtype=np.int32), z=np.zeros(2, np.complex128), b=np.ones((2, 2), np.float32))"
             ${_npz_work})
  set_tests_properties(io:polytag-npz-make-complex PROPERTIES FIXTURES_SETUP polytag_npz_complex)
  polytag_npz_test(lists-every-entry 1 "mixed.npz"
    "-DSTDOUT_REGEX=^a\tint32\t3\nz\t<c16\tunsupported: complex128: complex numbers are not supported\nb\tfloat32\t2,2\n$"
    "-DSTDERR_REGEX=^polytag-npz: error: mixed.npz: 1 array cannot be read by polytag" -DONE_LINE_STDERR=ON)
  set_tests_properties(io:polytag-npz-lists-every-entry PROPERTIES FIXTURES_REQUIRED polytag_npz_complex)
endif()
