# Full-width VGGish against torch. The setup test builds torchvggish's full network with random
# weights in Debian's python3-torch, converts it with examples/convert_vggish.py and records
# torch's embeddings (about 290 MB in the build tree, some 40 s); the check then runs the hidden
# Catch case on them. Without torch (or numpy) both are reported as skipped, never as passed:
# the generator exits 77 and removes any earlier run's files, so the check finds none and
# exits 77 too.
set(POLYTAG_TORCH_PYTHON /usr/bin/python3 CACHE FILEPATH "Python interpreter with torch and numpy for the full-width VGGish check")
set(_vggish_full_dir ${CMAKE_CURRENT_BINARY_DIR}/vggish-full)
add_test(NAME "audio: vggish full width (generate with torch)"
         COMMAND sh -c "[ -x \"$0\" ] || { echo \"skipped: $0 not found\"; exit 77; }; exec \"$0\" \"$1\" --full --out-dir \"$2\""
                 ${POLYTAG_TORCH_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/data/audio/make_vggish_fixtures.py ${_vggish_full_dir})
set_tests_properties("audio: vggish full width (generate with torch)" PROPERTIES
  FIXTURES_SETUP polytag_vggish_full SKIP_RETURN_CODE 77 TIMEOUT 900)
add_test(NAME "audio: vggish full width (compare with torch)"
         COMMAND sh -c "[ -f \"$0/vggish_full.npz\" ] || { echo \"skipped: no full-width model in $0 (torch missing)\"; exit 77; }; POLYTAG_VGGISH_FULL_DIR=\"$0\" exec \"$1\" \"[.vggish-full]\""
                 ${_vggish_full_dir} $<TARGET_FILE:polytag_test_audio>)
set_tests_properties("audio: vggish full width (compare with torch)" PROPERTIES
  FIXTURES_REQUIRED polytag_vggish_full SKIP_RETURN_CODE 77 TIMEOUT 600)

# The converter's refusals (missing key, wrong shapes, NaN, bad PCA, unreadable files); skipped
# without torch.
add_test(NAME "audio: convert_vggish refuses broken inputs"
         COMMAND sh -c "[ -x \"$0\" ] || { echo \"skipped: $0 not found\"; exit 77; }; exec \"$0\" \"$1\""
                 ${POLYTAG_TORCH_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/data/audio/check_convert_vggish.py)
set_tests_properties("audio: convert_vggish refuses broken inputs" PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)

# Every [vggish] case in one CTest test as well, whatever catch_discover_tests makes of the other
# test names in polytag_test_audio (a name with an unbalanced '[' swallows the names after it).
add_test(NAME "audio: vggish cases" COMMAND polytag_test_audio "[vggish]")
