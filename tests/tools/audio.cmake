# Tool tests of polytag-embed and polytag-tag (included at the end of extra.cmake, whose
# polytag_tool_test() and variables they use). They embed the committed audio fixtures
# (tests/data/audio) with the small random-weight VGGish, plus two longer synthetic files
# made at test time (numpy + soundfile), check the tables with numpy
# (tests/tools/audio_check.py), score them with the polytag-train fixture's model, and run
# two shards under mpirun. Tests that need a missing piece (python modules, mpirun,
# ../shared) are reported as skipped.
if(NOT TARGET polytag-embed OR NOT TARGET polytag-tag)
  return()
endif()

set(_audio ${PROJECT_SOURCE_DIR}/tests/data/audio)
set(_aw ${_tools_dir}/audio)  # the synthetic files and every output of these tests
set(_vggish ${_audio}/vggish_small.npz)
set(_check ${CMAKE_CURRENT_LIST_DIR}/audio_check.py)
file(MAKE_DIRECTORY ${_aw} ${_aw}/dup)
# A second file with the stem of a first (sample keys would repeat).
file(COPY ${_audio}/chirp_16k_mono.wav DESTINATION ${_aw}/dup)
find_program(POLYTAG_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
find_program(POLYTAG_MPIRUN NAMES mpirun)

# audio_check.py <cmd> <args...> as a test, skipped where numpy or soundfile is missing.
function(polytag_audio_check name)
  cmake_parse_arguments(T "" "FIXTURE_SETUP;REQUIRE_SHARED" "FIXTURES;ARGS" ${ARGN})
  polytag_tool_test_name(test "${name}")
  if(NOT POLYTAG_SYSTEM_PYTHON)
    return()
  endif()
  if(T_REQUIRE_SHARED AND NOT EXISTS ${_shared}/${T_REQUIRE_SHARED})
    add_test(NAME ${test} COMMAND ${CMAKE_COMMAND} -E echo "skipped: ${_shared}/${T_REQUIRE_SHARED} is not present")
  else()
    add_test(NAME ${test} COMMAND ${POLYTAG_SYSTEM_PYTHON} ${_check} ${T_ARGS} WORKING_DIRECTORY ${_tools_dir})
  endif()
  set_tests_properties(${test} PROPERTIES SKIP_REGULAR_EXPRESSION "skipped: " PASS_REGULAR_EXPRESSION "ok: |skipped: ")
  if(T_FIXTURES)
    set_tests_properties(${test} PROPERTIES FIXTURES_REQUIRED "${T_FIXTURES}")
  endif()
  if(T_FIXTURE_SETUP)
    set_tests_properties(${test} PROPERTIES FIXTURES_SETUP ${T_FIXTURE_SETUP})
  endif()
endfunction()

foreach(tool polytag-embed polytag-tag)
  polytag_tool_test("${tool} --help" ${tool} 0 "--help" "-DSTDOUT_REGEX=Usage:.*--shard.*--threads")
  polytag_tool_test("${tool} --version" ${tool} 0 "--version" "-DSTDOUT_REGEX=^${tool} \\(polytag [0-9]+\\.[0-9]+\\.[0-9]+\\)\n$")
  polytag_tool_test("${tool} unknown option is 2" ${tool} 2 "--no-such-option"
                    "-DSTDERR_REGEX=^${tool}: error: .*no-such-option" -DONE_LINE_STDERR=ON)
endforeach()

# The files of the main run, in this order (audio_check.py's EXPECTED).
set(_audio_files "${_audio}/chirp_16k_mono.wav|${_audio}/chirp_44k1_stereo.wav|${_audio}/chirp_22k05_stereo.flac|${_audio}/chirp_48k_stereo.ogg|${_audio}/chirp_44k1_mono.mp3|${_audio}/silent_16k_mono.wav|${_audio}/short_0s5_22k05_mono.wav|${_aw}/long_25s3.flac|${_aw}/rest_20s6.wav")

# Bad arguments (2), found before any file is read.
polytag_tool_test("embed needs --vggish for clips" polytag-embed 2 "${_audio}/chirp_16k_mono.wav|--out|audio/never.npz"
                  "-DSTDERR_REGEX=^polytag-embed: error: --vggish is required" -DONE_LINE_STDERR=ON
                  -DEXPECT_NO_FILES=audio/never.npz)
polytag_tool_test("embed logmel takes no --vggish" polytag-embed 2
                  "${_audio}/chirp_16k_mono.wav|--stage|logmel|--vggish|${_vggish}|--out|audio/never.npz"
                  "-DSTDERR_REGEX=^polytag-embed: error: --stage logmel computes no embeddings" -DONE_LINE_STDERR=ON)
polytag_tool_test("embed needs files" polytag-embed 2 "--vggish|${_vggish}|--out|audio/never.npz"
                  "-DSTDERR_REGEX=^polytag-embed: error: no audio files given" -DONE_LINE_STDERR=ON)
polytag_tool_test("embed refuses two files with one stem" polytag-embed 2
                  "${_audio}/chirp_16k_mono.wav|${_aw}/dup/chirp_16k_mono.wav|--vggish|${_vggish}|--out|audio/never.npz"
                  "-DSTDERR_REGEX=^polytag-embed: error: ${_audio}/chirp_16k_mono.wav and ${_aw}/dup/chirp_16k_mono.wav have the same stem 'chirp_16k_mono'"
                  -DONE_LINE_STDERR=ON -DEXPECT_NO_FILES=audio/never.npz)
polytag_tool_test("embed refuses shard 2/2" polytag-embed 2
                  "${_audio}/chirp_16k_mono.wav|--vggish|${_vggish}|--out|audio/never.npz|--shard|2/2"
                  "-DSTDERR_REGEX=^polytag-embed: error: --shard: shard 2 of 2 does not exist" -DONE_LINE_STDERR=ON)
polytag_tool_test("embed refuses shard x" polytag-embed 2
                  "${_audio}/chirp_16k_mono.wav|--vggish|${_vggish}|--out|audio/never.npz|--shard|1-2"
                  "-DSTDERR_REGEX=^polytag-embed: error: --shard: '1-2' is not K/N" -DONE_LINE_STDERR=ON)
polytag_tool_test("embed shard auto without a launcher" polytag-embed 2
                  "${_audio}/chirp_16k_mono.wav|--vggish|${_vggish}|--out|audio/never.npz|--shard|auto"
                  "-DSTDERR_REGEX=^polytag-embed: error: --shard auto: no launcher found" -DONE_LINE_STDERR=ON)
polytag_tool_test_name(_t "embed shard auto without a launcher")
set_tests_properties(${_t} PROPERTIES ENVIRONMENT_MODIFICATION
  "OMPI_COMM_WORLD_RANK=unset:;OMPI_COMM_WORLD_SIZE=unset:;SLURM_ARRAY_TASK_ID=unset:;SLURM_ARRAY_TASK_COUNT=unset:")
polytag_tool_test("embed shard auto refuses an irregular Slurm array" polytag-embed 2
                  "${_audio}/chirp_16k_mono.wav|--vggish|${_vggish}|--out|audio/never.npz|--shard|auto"
                  "-DSTDERR_REGEX=^polytag-embed: error: --shard auto: the Slurm array .* is not a regular range" -DONE_LINE_STDERR=ON)
polytag_tool_test_name(_t "embed shard auto refuses an irregular Slurm array")
set_tests_properties(${_t} PROPERTIES ENVIRONMENT_MODIFICATION  # --array=1,4,9
  "OMPI_COMM_WORLD_RANK=unset:;SLURM_ARRAY_TASK_ID=set:4;SLURM_ARRAY_TASK_COUNT=set:3;SLURM_ARRAY_TASK_MIN=set:1;SLURM_ARRAY_TASK_MAX=set:9;SLURM_ARRAY_TASK_STEP=unset:")
polytag_tool_test("embed refuses a folder as --out" polytag-embed 2
                  "${_audio}/chirp_16k_mono.wav|--vggish|${_vggish}|--out|audio"
                  "-DSTDERR_REGEX=^polytag-embed: error: --out audio: is a folder" -DONE_LINE_STDERR=ON)
polytag_tool_test("embed: a bad VGGish file is 1" polytag-embed 1
                  "${_audio}/chirp_16k_mono.wav|--vggish|${_audio}/not_audio.txt|--out|audio/never.npz"
                  "-DSTDERR_REGEX=^polytag-embed: error: .*not_audio.txt" -DONE_LINE_STDERR=ON -DEXPECT_NO_FILES=audio/never.npz)
polytag_tool_test("tag needs --model" polytag-tag 2 "${_audio}/chirp_16k_mono.wav|--vggish|${_vggish}"
                  "-DSTDERR_REGEX=^polytag-tag: error: --model is required" -DONE_LINE_STDERR=ON)

# The synthetic long files, then the main run (one process, one thread).
polytag_audio_check("audio: make the long synthetic files" ARGS make-long ${_aw} FIXTURE_SETUP polytag_audio_long)
polytag_tool_test("embed the audio fixtures" polytag-embed 0
                  "${_audio_files}|--vggish|${_vggish}|--out|audio/embed.npz"
                  "-DSTDOUT_REGEX=wrote 11 clips of 9 files to audio/embed.npz"
                  "-DSTDERR_REGEX=^polytag-embed: warning: ${_audio}/short_0s5_22k05_mono.wav: 0.50 s of audio, shorter than 1 s"
                  -DONE_LINE_STDERR=ON -DEXPECT_FILES=audio/embed.npz
                  FIXTURE_REQUIRED polytag_audio_long FIXTURE_SETUP polytag_audio_clips)
polytag_audio_check("embed: the table's layout, keys, padding" ARGS layout ${_aw}/embed.npz ${_audio} ${_aw}
                    FIXTURES polytag_audio_clips)
polytag_tool_test("npz lists the embedded table" polytag-npz 0 "audio/embed.npz"
                  "-DSTDOUT_REGEX=^X\tuint8\t\\(?11, ?10, ?128\\)?\nsample_key\t<U[0-9]+\t\\(?11,?\\)?\nsource\t<U[0-9]+\t\\(?11,?\\)?\nstart_s\tfloat64\t\\(?11,?\\)?\nfile_index\tint64\t\\(?11,?\\)?\n$"
                  FIXTURE_REQUIRED polytag_audio_clips)

# --threads 2 and shards give the same bytes.
polytag_tool_test("embed with 2 threads" polytag-embed 0
                  "${_audio_files}|--vggish|${_vggish}|--out|audio/embed-t2.npz|--threads|2|--quiet"
                  FIXTURE_REQUIRED polytag_audio_long FIXTURE_SETUP polytag_audio_t2)
polytag_tool_test_name(_t "embed: 2 threads = 1 thread")
add_test(NAME ${_t} COMMAND ${CMAKE_COMMAND} -E compare_files ${_aw}/embed-t2.npz ${_aw}/embed.npz)
set_tests_properties(${_t} PROPERTIES FIXTURES_REQUIRED "polytag_audio_clips;polytag_audio_t2")
foreach(k 0 1 2)
  polytag_tool_test("embed shard ${k} of 3" polytag-embed 0
                    "${_audio_files}|--vggish|${_vggish}|--out|audio/part-{shard}.npz|--shard|${k}/3|--quiet|--threads|2"
                    -DEXPECT_FILES=audio/part-${k}.npz FIXTURE_REQUIRED polytag_audio_long FIXTURE_SETUP polytag_audio_parts)
endforeach()
polytag_tool_test("embed merges 3 shards" polytag-embed 0
                  "--merge|audio/part-2.npz|audio/part-0.npz|audio/part-1.npz|--out|audio/merged.npz"
                  "-DSTDOUT_REGEX=merged 11 rows of 3 tables into audio/merged.npz"
                  FIXTURE_REQUIRED polytag_audio_parts FIXTURE_SETUP polytag_audio_merged)
polytag_tool_test_name(_t "embed: merged shards = one process")
add_test(NAME ${_t} COMMAND ${CMAKE_COMMAND} -E compare_files ${_aw}/merged.npz ${_aw}/embed.npz)
set_tests_properties(${_t} PROPERTIES FIXTURES_REQUIRED "polytag_audio_clips;polytag_audio_merged")
polytag_audio_check("embed: merged shards, array by array" ARGS same ${_aw}/merged.npz ${_aw}/embed.npz
                    FIXTURES "polytag_audio_clips;polytag_audio_merged")
polytag_tool_test("embed refuses the same shard twice" polytag-embed 1
                  "--merge|audio/part-0.npz|audio/part-0.npz|--out|audio/never.npz"
                  "-DSTDERR_REGEX=^polytag-embed: error: audio/part-0.npz and audio/part-0.npz both hold rows of file index 0"
                  -DONE_LINE_STDERR=ON -DEXPECT_NO_FILES=audio/never.npz FIXTURE_REQUIRED polytag_audio_parts)
polytag_tool_test("embed shard auto from a Slurm array" polytag-embed 0
                  "${_audio_files}|--vggish|${_vggish}|--out|audio/slurm-{shard}.npz|--shard|auto"
                  "-DSTDOUT_REGEX=to audio/slurm-1.npz \\(shard 1/3\\)" -DEXPECT_FILES=audio/slurm-1.npz
                  FIXTURE_REQUIRED polytag_audio_long)
polytag_tool_test_name(_t "embed shard auto from a Slurm array")
set_tests_properties(${_t} PROPERTIES ENVIRONMENT_MODIFICATION  # --array=4-8:2, the task with id 6
  "OMPI_COMM_WORLD_RANK=unset:;SLURM_ARRAY_TASK_ID=set:6;SLURM_ARRAY_TASK_COUNT=set:3;SLURM_ARRAY_TASK_MIN=set:4;SLURM_ARRAY_TASK_MAX=set:8;SLURM_ARRAY_TASK_STEP=set:2")

# Two shards under mpirun --shard auto, merged = one process.
polytag_tool_test_name(_t "embed: mpirun -np 2 shards merged = one process")
add_test(NAME ${_t}
         COMMAND ${CMAKE_COMMAND} -DTOOL=$<TARGET_FILE:polytag-embed> "-DMPIRUN=${POLYTAG_MPIRUN}"
                 "-DARGS=${_audio_files}|--vggish|${_vggish}" -DWORKDIR=${_aw} -DEXPECTED=${_aw}/embed.npz
                 -P ${CMAKE_CURRENT_LIST_DIR}/run_audio_mpi.cmake)
set_tests_properties(${_t} PROPERTIES FIXTURES_REQUIRED "polytag_audio_clips;polytag_audio_long"
                     SKIP_REGULAR_EXPRESSION "skipped: ")

# Bad files among good ones: reported (one line each), skipped, exit 1, the others written.
polytag_tool_test("embed skips bad files" polytag-embed 1
                  "${_audio}/chirp_16k_mono.wav|${_audio}/corrupt.wav|${_audio}/not_audio.txt|${_audio}/chirp_48k_stereo.ogg|--vggish|${_vggish}|--out|audio/bad.npz|--threads|2"
                  "-DSTDERR_REGEX=^polytag-embed: error: ${_audio}/corrupt.wav: not a readable audio file: [^\n]* \\(skipped\\)\npolytag-embed: error: ${_audio}/not_audio.txt: [^\n]* \\(skipped\\)\npolytag-embed: error: 2 of 4 files could not be read \\(skipped\\); wrote 2 clips of the others to audio/bad.npz\n$"
                  -DEXPECT_FILES=audio/bad.npz FIXTURE_SETUP polytag_audio_bad)
polytag_audio_check("embed: the good files of the bad-file run" ARGS bad-file ${_aw}/bad.npz FIXTURES polytag_audio_bad)
polytag_tool_test("embed --strict stops at the first bad file" polytag-embed 1
                  "${_audio}/chirp_16k_mono.wav|${_audio}/truncated.flac|${_audio}/chirp_48k_stereo.ogg|--vggish|${_vggish}|--out|audio/strict.npz|--strict"
                  "-DSTDERR_REGEX=^polytag-embed: error: ${_audio}/truncated.flac: [^\n]*\npolytag-embed: --strict: stopped at the first bad file; nothing written\n$"
                  -DEXPECT_NO_FILES=audio/strict.npz)
polytag_tool_test("embed: a missing file is a bad file" polytag-embed 1
                  "${_aw}/no-such-file.wav|${_audio}/chirp_16k_mono.wav|--vggish|${_vggish}|--out|audio/missing.npz"
                  "-DSTDERR_REGEX=^polytag-embed: error: ${_aw}/no-such-file.wav: cannot open: No such file or directory \\(skipped\\)"
                  -DEXPECT_FILES=audio/missing.npz)

# --stage logmel: the front end's patches, against the fixtures' numpy reference.
polytag_tool_test("embed --stage logmel" polytag-embed 0
                  "${_audio}/chirp_16k_mono.wav|${_audio}/chirp_44k1_stereo.wav|${_audio}/chirp_22k05_stereo.flac|${_audio}/chirp_48k_stereo.ogg|${_audio}/chirp_44k1_mono.mp3|${_audio}/silent_16k_mono.wav|${_audio}/short_0s5_22k05_mono.wav|--stage|logmel|--out|audio/logmel.npz|--threads|2"
                  "-DSTDOUT_REGEX=wrote 10 patches of 7 files"
                  "-DSTDERR_REGEX=short_0s5_22k05_mono.wav: 0.50 s of audio, shorter than one 0.96-s patch"
                  FIXTURE_SETUP polytag_audio_logmel)
polytag_audio_check("embed: logmel patches = the front end's reference" ARGS logmel ${_aw}/logmel.npz ${_audio}/reference.npz
                    FIXTURES polytag_audio_logmel)

# The existing tools read the table unchanged; polytag-tag gives the same relevances.
polytag_tool_test("predict on the embedded table" polytag-predict 0
                  "--model|synthetic.npz|--data|audio/embed.npz|--out|audio/predict.csv"
                  "-DFILE_REGEX=audio/predict.csv|^key,accordion,.*\nchirp_16k_mono_0,.*\nlong_25s3_20000,[^\n]*\nrest_20s6_0,.*\nrest_20s6_10000,[^\n]*\n$"
                  FIXTURE_REQUIRED "polytag_tool_model;polytag_audio_clips" FIXTURE_SETUP polytag_audio_predict)
polytag_tool_test("rank on the embedded table" polytag-rank 0
                  "--model|synthetic.npz|--data|audio/embed.npz|--instrument|piano|--top|3"
                  "-DSTDOUT_REGEX=rank +key +relevance.*\n +1 +[0-9a-z_]+_[0-9]+ +[01]\\.[0-9]+.*\n +3 "
                  FIXTURE_REQUIRED "polytag_tool_model;polytag_audio_clips")
polytag_tool_test("tag csv" polytag-tag 0
                  "${_audio_files}|--vggish|${_vggish}|--model|synthetic.npz|--format|csv|--out|audio/tag.csv|--threads|2"
                  "-DSTDERR_REGEX=short_0s5_22k05_mono.wav: shorter than 1 s: no clip" -DONE_LINE_STDERR=ON
                  "-DFILE_REGEX=audio/tag.csv|^key,file,start_s,accordion,.*,voice\nchirp_16k_mono_0,${_audio}/chirp_16k_mono.wav,0,[0-9]"
                  FIXTURE_REQUIRED "polytag_tool_model;polytag_audio_long" FIXTURE_SETUP polytag_audio_tag)
polytag_audio_check("tag: the relevances polytag-predict gives" ARGS tag-vs-predict ${_aw}/tag.csv ${_aw}/predict.csv
                    FIXTURES "polytag_audio_tag;polytag_audio_predict")
polytag_tool_test("tag jsonl" polytag-tag 0
                  "${_aw}/long_25s3.flac|--vggish|${_vggish}|--model|synthetic.npz|--format|jsonl"
                  "-DSTDOUT_REGEX=^{\"key\": \"long_25s3_0\", \"file\": \"[^\"]*long_25s3.flac\", \"start_s\": 0, \"relevance\": {\"accordion\": [0-9.e-]+, .*\"voice\": [0-9.e-]+}}\n.*\"key\": \"long_25s3_20000\", \"file\": \"[^\"]*\", \"start_s\": 20, "
                  -DSTDOUT_LINES=3 FIXTURE_REQUIRED "polytag_tool_model;polytag_audio_long")
polytag_tool_test("tag table" polytag-tag 0
                  "${_aw}/rest_20s6.wav|--vggish|${_vggish}|--model|synthetic.npz"
                  "-DSTDOUT_REGEX=^key +start +accordion +banjo .* voice  file\nrest_20s6_0 +0.0 +[01]\\.[0-9][0-9][0-9] .*rest_20s6.wav\nrest_20s6_10000 +10.0 "
                  -DSTDOUT_LINES=3 FIXTURE_REQUIRED "polytag_tool_model;polytag_audio_long")
polytag_tool_test("tag skips a bad file" polytag-tag 1
                  "${_audio}/garbage.flac|${_audio}/chirp_16k_mono.wav|--vggish|${_vggish}|--model|synthetic.npz|--format|csv"
                  "-DSTDOUT_REGEX=^key,file,start_s,.*\nchirp_16k_mono_0,"
                  "-DSTDERR_REGEX=^polytag-tag: error: ${_audio}/garbage.flac: [^\n]* \\(skipped\\)\npolytag-tag: error: 1 of 2 files could not be read"
                  FIXTURE_REQUIRED polytag_tool_model)
polytag_tool_test("tag --strict writes nothing" polytag-tag 1
                  "${_audio}/chirp_16k_mono.wav|${_audio}/empty.wav|--vggish|${_vggish}|--model|synthetic.npz|--out|audio/never.csv|--strict"
                  "-DSTDERR_REGEX=^polytag-tag: error: ${_audio}/empty.wav: [^\n]*\npolytag-tag: --strict: stopped"
                  -DEXPECT_NO_FILES=audio/never.csv FIXTURE_REQUIRED polytag_tool_model)

# The real OpenMIC clip (../shared): patches within the issue's bounds of the release's own.
polytag_tool_test("embed logmel of the OpenMIC clip" polytag-embed 0
                  "@SHARED@/audio/000046_3840.ogg|--stage|logmel|--out|audio/openmic-logmel.npz"
                  "-DSTDOUT_REGEX=wrote 10 patches of 1 file to"
                  REQUIRE_SHARED audio/000046_3840.ogg FIXTURE_SETUP polytag_audio_openmic_logmel)
polytag_audio_check("embed: OpenMIC clip patches = the release's examples"
                    ARGS shared-logmel ${_aw}/openmic-logmel.npz ${_shared}/vggish-reference/000046_3840.npz
                    REQUIRE_SHARED vggish-reference/000046_3840.npz FIXTURES polytag_audio_openmic_logmel)
polytag_tool_test("embed the OpenMIC clip" polytag-embed 0
                  "@SHARED@/audio/000046_3840.ogg|--vggish|${_vggish}|--out|audio/openmic.npz"
                  "-DSTDOUT_REGEX=wrote 1 clip of 1 file to"
                  REQUIRE_SHARED audio/000046_3840.ogg FIXTURE_SETUP polytag_audio_openmic)
polytag_audio_check("embed: the OpenMIC clip is one clip" ARGS shared-clips ${_aw}/openmic.npz
                    REQUIRE_SHARED audio/000046_3840.ogg FIXTURES polytag_audio_openmic)
