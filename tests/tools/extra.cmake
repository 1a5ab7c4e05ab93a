# Tool tests: run the built polytag-* programs (they exist when POLYTAG_BUILD_EXAMPLES is ON).
# Each checks the exit status (0 ok, 1 bad input file, 2 bad argument, 130 interrupted:
# examples/tool/tool_cli.hpp) and the output. The training run uses the in-memory synthetic
# set; predict/rank use its model on the committed 4-clip release (tests/data/openmic) and,
# where present, on ../shared/data (tests that need it are reported as skipped without it).
if(NOT TARGET polytag-train OR NOT TARGET polytag-predict OR NOT TARGET polytag-rank OR NOT TARGET polytag-npz)
  return()
endif()

set(_tools_dir ${CMAKE_CURRENT_BINARY_DIR}/tools_work)
set(_runner ${CMAKE_CURRENT_LIST_DIR}/run_tool.cmake)
set(_shared ${PROJECT_SOURCE_DIR}/../shared/data)
set(_release ${CMAKE_CURRENT_SOURCE_DIR}/data/openmic/numpy-release)
file(MAKE_DIRECTORY ${_tools_dir})

# The unit tests that start a tool find it here (and need it built first).
if(TARGET polytag_test_tools)
  target_compile_definitions(polytag_test_tools PRIVATE POLYTAG_TRAIN_EXE="$<TARGET_FILE:polytag-train>")
  add_dependencies(polytag_test_tools polytag-train)
endif()

# Broken copies of the committed 4-clip release (train: 3 keys, test: 1), made at configure time.
function(polytag_release_variant name train_csv test_csv)
  set(dir ${_tools_dir}/${name})
  file(REMOVE_RECURSE ${dir})
  file(COPY ${_release}/ DESTINATION ${dir})
  file(WRITE ${dir}/partitions/split01_train.csv "${train_csv}")
  file(WRITE ${dir}/partitions/split01_test.csv "${test_csv}")
endfunction()
polytag_release_variant(release-empty-train "\n" "000135_0\n")
polytag_release_variant(release-empty-test "000046_3840\n000046_7680\n014521_96000\n" "")
# A spreadsheet's CSV: UTF-8 byte-order mark and CRLF line ends.
string(ASCII 239 187 191 _bom)
polytag_release_variant(release-bom "${_bom}000046_3840\r\n000046_7680\r\n014521_96000\r\n" "${_bom}000135_0\r\n")

# Test names carry no spaces (CMake < 3.19 policy CMP0110 cannot quote them in CTestTestfile).
function(polytag_tool_test_name out name)
  string(REGEX REPLACE "[^A-Za-z0-9_.-]+" "_" clean "${name}")
  set(${out} "tools:${clean}" PARENT_SCOPE)
endfunction()

# polytag_tool_test(<name> <tool> <expected exit> <args joined by |> [FIXTURE_SETUP f]
#                   [FIXTURE_REQUIRED f...] [REQUIRE_SHARED <path under ../shared/data>] -D...)
function(polytag_tool_test name tool expect_rc args)
  cmake_parse_arguments(T "" "FIXTURE_SETUP;REQUIRE_SHARED" "FIXTURE_REQUIRED" ${ARGN})
  polytag_tool_test_name(test "${name}")
  set(extra)
  if(T_REQUIRE_SHARED)
    set(extra "-DREQUIRE_SHARED=${T_REQUIRE_SHARED}")
  endif()
  add_test(NAME ${test}
           COMMAND ${CMAKE_COMMAND} -DTOOL=$<TARGET_FILE:${tool}> "-DARGS=${args}" -DEXPECT_RC=${expect_rc}
                   -DWORKDIR=${_tools_dir} -DSHARED_DIR=${_shared} ${extra} ${T_UNPARSED_ARGUMENTS} -P ${_runner})
  set_tests_properties(${test} PROPERTIES SKIP_REGULAR_EXPRESSION "skipped: ")
  if(T_FIXTURE_SETUP)
    set_tests_properties(${test} PROPERTIES FIXTURES_SETUP ${T_FIXTURE_SETUP})
  endif()
  if(T_FIXTURE_REQUIRED)
    set_tests_properties(${test} PROPERTIES FIXTURES_REQUIRED "${T_FIXTURE_REQUIRED}")
  endif()
endfunction()

foreach(tool polytag-train polytag-predict polytag-rank polytag-npz)
  polytag_tool_test("${tool} --help" ${tool} 0 "--help" "-DSTDOUT_REGEX=Usage:.*--help.*--version")
  polytag_tool_test("${tool} --version" ${tool} 0 "--version" "-DSTDOUT_REGEX=^${tool} \\(polytag [0-9]+\\.[0-9]+\\.[0-9]+\\)\n$")
  polytag_tool_test("${tool} unknown option is 2" ${tool} 2 "x.npz|--no-such-option"
                    "-DSTDERR_REGEX=^${tool}: error: .*no-such-option" -DONE_LINE_STDERR=ON)
endforeach()

# polytag-train: bad arguments (2), found before any data is read or any epoch trained.
polytag_tool_test("train rejects an unknown pooling" polytag-train 2 "--pool|average"
                  "-DSTDERR_REGEX=^polytag-train: error: .*pool" -DONE_LINE_STDERR=ON)
polytag_tool_test("train rejects a bad trunk" polytag-train 2 "--trunk|64,x|--epochs|1"
                  "-DSTDERR_REGEX=^polytag-train: error: --trunk: 'x'" -DONE_LINE_STDERR=ON)
polytag_tool_test("train rejects trunk 0" polytag-train 2 "--trunk|0"
                  "-DSTDERR_REGEX=^polytag-train: error: --trunk: '0'" -DONE_LINE_STDERR=ON)
polytag_tool_test("train rejects epochs 0" polytag-train 2 "--epochs|0"
                  "-DSTDERR_REGEX=^polytag-train: error: .*epochs" -DONE_LINE_STDERR=ON)
polytag_tool_test("train rejects a missing data folder" polytag-train 2 "--data|/nonexistent/openmic"
                  "-DSTDERR_REGEX=^polytag-train: error: .*nonexistent" -DONE_LINE_STDERR=ON)
polytag_tool_test("train refuses a folder as --out before training" polytag-train 2
                  "--out|${_tools_dir}|--epochs|1000"
                  "-DSTDERR_REGEX=^polytag-train: error: --out ${_tools_dir}: is a folder" -DONE_LINE_STDERR=ON)
polytag_tool_test("train refuses a report in a missing folder" polytag-train 2
                  "--report|no/such/dir/r.json|--out|never.npz"
                  "-DSTDERR_REGEX=^polytag-train: error: --report no/such/dir/r.json: folder no/such/dir does not exist"
                  -DONE_LINE_STDERR=ON -DEXPECT_NO_FILES=never.npz)
polytag_tool_test("train refuses --out equal to --report" polytag-train 2 "--out|same.json|--report|same.json"
                  "-DSTDERR_REGEX=both name" -DONE_LINE_STDERR=ON)
# Bad data (1): an empty split names its CSV file.
polytag_tool_test("train: an empty training split names its CSV" polytag-train 1
                  "--data|${_tools_dir}/release-empty-train|--out|never.npz"
                  "-DSTDERR_REGEX=^polytag-train: error: .*release-empty-train/partitions/split01_train.csv: no sample keys"
                  -DONE_LINE_STDERR=ON -DEXPECT_NO_FILES=never.npz)
polytag_tool_test("train: an empty test split names its CSV" polytag-train 1
                  "--data|${_tools_dir}/release-empty-test|--out|never.npz"
                  "-DSTDERR_REGEX=^polytag-train: error: .*release-empty-test/partitions/split01_test.csv: no sample keys"
                  -DONE_LINE_STDERR=ON -DEXPECT_NO_FILES=never.npz)

# A short synthetic training run writes the model, report.json (with the issue's keys) and the SVG.
polytag_tool_test("train on synthetic data" polytag-train 0
                  "--epochs|3|--synthetic-clips|1500|--out|synthetic.npz|--report|synthetic-report.json|--threads|1"
                  "-DSTDOUT_REGEX=macro.*trained 3 epochs"
                  "-DEXPECT_FILES=synthetic.npz;synthetic-report.json;synthetic-report.svg"
                  -DJSON_FILE=synthetic-report.json
                  "-DJSON_KEYS=macro.mse|macro.mae|macro.f1|macro.f1_macro2|macro.ap|macro.auc|instruments.piano.n|instruments.piano.n_pos|instruments.voice.ap|train_seconds|epochs|config.model.pool|config.train.lr"
                  FIXTURE_SETUP polytag_tool_model)

# polytag-predict and polytag-rank on the committed 4-clip release (train: 000046_3840,
# 000046_7680, 014521_96000; test: 000135_0) with the synthetic run's model.
set(_clip_line "[0-9]+_[0-9]+(,[0-9.e+-]+)+")
polytag_tool_test("predict csv on the committed release" polytag-predict 0 "--model|synthetic.npz|--data|${_release}"
                  "-DSTDOUT_REGEX=^key,accordion,banjo,.*,voice\n${_clip_line}\n${_clip_line}\n${_clip_line}\n${_clip_line}\n$"
                  FIXTURE_REQUIRED polytag_tool_model)
# The 8-bit path's numbers are held by tests/openmic/test_quantized_model.cpp; here, the flag.
polytag_tool_test("predict --int8 on the committed release" polytag-predict 0 "--model|synthetic.npz|--data|${_release}|--int8"
                  "-DSTDOUT_REGEX=^key,accordion,banjo,.*,voice\n${_clip_line}\n${_clip_line}\n${_clip_line}\n${_clip_line}\n$"
                  FIXTURE_REQUIRED polytag_tool_model)
polytag_tool_test("predict json is one clip per line" polytag-predict 0
                  "--model|synthetic.npz|--data|${_release}/openmic-2018.npz|--format|json"
                  "-DSTDOUT_REGEX=^\\[\n{\"key\": \"000046_3840\", \"relevance\": {\"accordion\": [0-9.e-]+, .*\"voice\": [0-9.e-]+}},\n.*}}\n\\]\n$"
                  -DSTDOUT_LINES=6 FIXTURE_REQUIRED polytag_tool_model)
polytag_tool_test("predict jsonl --out writes JSON Lines" polytag-predict 0
                  "--model|synthetic.npz|--data|${_release}|--format|jsonl|--out|scores.jsonl"
                  -DSTDOUT_LINES=0 "-DFILE_REGEX=scores.jsonl|^{\"key\": \"[0-9_]+\", \"relevance\": {[^\n]*}}\n{[^\n]*}\n{[^\n]*}\n{[^\n]*}\n$"
                  FIXTURE_REQUIRED polytag_tool_model)
# The same four clips in the same order as the JSON Lines run: one batch, so the formats test
# below compares the printing only (a clip scored in another batch may differ in the last bit:
# the products' summation order depends on the batch's size).
polytag_tool_test("predict csv --out" polytag-predict 0
                  "--model|synthetic.npz|--data|${_release}|--keys|000046_3840,000046_7680,000135_0,014521_96000|--out|scores.csv"
                  -DSTDOUT_LINES=0 "-DFILE_REGEX=scores.csv|^key,[^\n]*\n000046_3840,[^\n]*\n000046_7680,[^\n]*\n000135_0,[^\n]*\n014521_96000,[^\n]*\n$"
                  FIXTURE_REQUIRED polytag_tool_model)
set_tests_properties(tools:predict_jsonl_--out_writes_JSON_Lines tools:predict_csv_--out PROPERTIES
                     FIXTURES_SETUP polytag_tool_scores)
polytag_tool_test("predict rejects an unknown key" polytag-predict 2
                  "--model|synthetic.npz|--data|${_release}|--keys|no_such_key"
                  "-DSTDERR_REGEX=^polytag-predict: error: --keys: no clip 'no_such_key'" -DONE_LINE_STDERR=ON
                  FIXTURE_REQUIRED polytag_tool_model)
polytag_tool_test("predict rejects an empty key list" polytag-predict 2
                  "--model|synthetic.npz|--data|${_release}|--keys="
                  "-DSTDERR_REGEX=^polytag-predict: error: --keys: " -DONE_LINE_STDERR=ON
                  FIXTURE_REQUIRED polytag_tool_model)
polytag_tool_test("predict rejects a key list of commas" polytag-predict 2
                  "--model|synthetic.npz|--data|${_release}|--keys|,"
                  "-DSTDERR_REGEX=^polytag-predict: error: --keys: the list of sample keys is empty" -DONE_LINE_STDERR=ON
                  FIXTURE_REQUIRED polytag_tool_model)
polytag_tool_test("predict refuses a folder as --out" polytag-predict 2
                  "--model|synthetic.npz|--data|${_release}|--out|${_tools_dir}"
                  "-DSTDERR_REGEX=^polytag-predict: error: --out .*: is a folder" -DONE_LINE_STDERR=ON)
polytag_tool_test("rank ranks the test split of a release by default" polytag-rank 0
                  "--model|synthetic.npz|--data|${_release}|--instrument|piano"
                  "-DSTDOUT_REGEX=^ *rank +key +relevance +observed +split\n +1 +000135_0 +[0-9.e-]+ +[-0-9.e]+ +test\n$"
                  FIXTURE_REQUIRED polytag_tool_model)
polytag_tool_test("rank --split train" polytag-rank 0
                  "--model|synthetic.npz|--data|${_release}|--instrument|piano|--split|train"
                  -DSTDOUT_LINES=4 "-DSTDOUT_NOT_REGEX=000135_0" FIXTURE_REQUIRED polytag_tool_model)
polytag_tool_test("rank --split all" polytag-rank 0
                  "--model|synthetic.npz|--data|${_release}|--instrument|piano|--split|all"
                  -DSTDOUT_LINES=5 FIXTURE_REQUIRED polytag_tool_model)
polytag_tool_test("rank --split needs a release folder" polytag-rank 2
                  "--model|synthetic.npz|--data|${_release}/openmic-2018.npz|--instrument|piano|--split|test"
                  "-DSTDERR_REGEX=^polytag-rank: error: --split test: .* without train/test splits" -DONE_LINE_STDERR=ON
                  FIXTURE_REQUIRED polytag_tool_model)
polytag_tool_test("rank rejects a bad --split" polytag-rank 2
                  "--model|synthetic.npz|--data|${_release}|--instrument|piano|--split|validation"
                  "-DSTDERR_REGEX=^polytag-rank: error: .*split" -DONE_LINE_STDERR=ON)
polytag_tool_test("rank suggests the closest instrument name" polytag-rank 2
                  "--model|synthetic.npz|--data|${_release}|--instrument|Piano"
                  "-DSTDERR_REGEX=^polytag-rank: error: unknown instrument 'Piano' [(]did you mean 'piano'[?][)]; valid names: accordion, .*voice"
                  -DONE_LINE_STDERR=ON FIXTURE_REQUIRED polytag_tool_model)
polytag_tool_test("rank: split CSVs with a BOM and CRLF" polytag-rank 0
                  "--model|synthetic.npz|--data|${_tools_dir}/release-bom|--instrument|voice|--split|all"
                  -DSTDOUT_LINES=5 "-DSTDOUT_REGEX=000135_0 +[0-9.e-]+ +[-0-9.e]+ +test\n" FIXTURE_REQUIRED polytag_tool_model)
polytag_tool_test("predict needs --model" polytag-predict 2 "--data|x"
                  "-DSTDERR_REGEX=^polytag-predict: error: --model is required" -DONE_LINE_STDERR=ON)
polytag_tool_test("predict rejects a missing model file" polytag-predict 1 "--model|missing.npz|--data|."
                  "-DSTDERR_REGEX=^polytag-predict: error: model file missing.npz" -DONE_LINE_STDERR=ON)
polytag_tool_test("rank rejects a bad --top" polytag-rank 2 "--model|m.npz|--data|.|--instrument|piano|--top|0"
                  "-DSTDERR_REGEX=^polytag-rank: error: .*top" -DONE_LINE_STDERR=ON)

find_program(POLYTAG_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(POLYTAG_SYSTEM_PYTHON)
  add_test(NAME tools:model_file_loads_in_numpy_without_pickle
           COMMAND ${POLYTAG_SYSTEM_PYTHON} -c
             "import json, sys, numpy as np; m = np.load(sys.argv[1], allow_pickle=False); c = json.loads(str(m['config'])); assert m['class_names'].shape == (20,), m['class_names'].shape; assert m['normalizer.mean'].shape == (128,); assert m['trunk.0.weight'].shape == (c['trunk'][0], 128); assert str(m['format']) == 'polytag.openmic.relevance/1'; print('ok', sorted(m.files))"
             ${_tools_dir}/synthetic.npz)
  set_tests_properties(tools:model_file_loads_in_numpy_without_pickle PROPERTIES
                       FIXTURES_REQUIRED polytag_tool_model PASS_REGULAR_EXPRESSION "^ok ")
endif()

if(POLYTAG_SYSTEM_PYTHON)
  # CSV and JSON Lines print the same text for every value.
  add_test(NAME tools:predict_formats_print_the_same_digits
           COMMAND ${POLYTAG_SYSTEM_PYTHON} -c
             "import json, re, sys; csv = [l.split(',') for l in open(sys.argv[1]).read().splitlines()]; rows = {r[0]: r[1:] for r in csv[1:]}; line = [l for l in open(sys.argv[2]) if '000135_0' in l][0]; text = re.findall(r'\": ([-0-9.e+]+)', line); assert text == rows['000135_0'], (text, rows['000135_0']); assert [float(t) for t in text] == list(json.loads(line)['relevance'].values()); print('same', len(text))"
             ${_tools_dir}/scores.csv ${_tools_dir}/scores.jsonl)
  set_tests_properties(tools:predict_formats_print_the_same_digits PROPERTIES
                       FIXTURES_REQUIRED polytag_tool_scores PASS_REGULAR_EXPRESSION "^same 20")

  # Catalogues a user might hand over: repeated keys, 64-wide clips, a good one; a bad model file.
  add_test(NAME tools:make_catalogues
           COMMAND ${POLYTAG_SYSTEM_PYTHON} -c
             "import numpy as np, sys; d = sys.argv[1]; x = np.random.default_rng(0).integers(0, 256, (3, 10, 128), dtype=np.uint8); np.savez(d + '/catalogue.npz', X=x, sample_key=np.array(['a', 'b', 'c'])); np.savez(d + '/repeated-keys.npz', X=x, sample_key=np.array(['a', 'b', 'a'])); np.savez(d + '/narrow.npz', X=x[:, :, :64].copy()); open(d + '/not-a-model.npz', 'wb').write(b'PK' + bytes(100)); big = np.random.default_rng(1).integers(0, 256, (9000, 10, 128), dtype=np.uint8); np.savez_compressed(d + '/big.npz', X=big, sample_key=np.array(['k%d' % i for i in range(9000)])); print('ok')"
             ${_tools_dir})
  set_tests_properties(tools:make_catalogues PROPERTIES FIXTURES_SETUP polytag_tool_catalogues PASS_REGULAR_EXPRESSION "^ok")
  set(_needs FIXTURE_REQUIRED polytag_tool_model polytag_tool_catalogues)
  polytag_tool_test("predict refuses repeated keys naming both rows" polytag-predict 1
                    "--model|synthetic.npz|--data|repeated-keys.npz|--keys|a"
                    "-DSTDERR_REGEX=^polytag-predict: error: repeated-keys.npz: sample_key 'a' appears in rows 0 and 2"
                    -DONE_LINE_STDERR=ON ${_needs})
  polytag_tool_test("predict refuses clips of another width" polytag-predict 1 "--model|synthetic.npz|--data|narrow.npz"
                    "-DSTDERR_REGEX=^polytag-predict: error: narrow.npz: clips are 10x64 .*the model reads 10x128"
                    -DONE_LINE_STDERR=ON ${_needs})
  polytag_tool_test("predict a catalogue" polytag-predict 0 "--model|synthetic.npz|--data|catalogue.npz|--keys|c,a"
                    "-DSTDOUT_REGEX=^key,[^\n]*\nc,[^\n]+\na,[^\n]+\n$" ${_needs})
  # A catalogue .npz without --keys is streamed, 4,096 clips at a time (deflated here): the same
  # rows, in order, as the in-memory path that --keys takes, across the chunk boundaries.
  polytag_tool_test("predict streams a catalogue of several chunks" polytag-predict 0
                    "--model|synthetic.npz|--data|big.npz|--out|big.csv" -DSTDOUT_LINES=0 ${_needs})
  polytag_tool_test("predict --keys on the streamed catalogue" polytag-predict 0
                    "--model|synthetic.npz|--data|big.npz|--keys|k4095,k4096,k8999,k0|--out|big-keys.csv" -DSTDOUT_LINES=0 ${_needs})
  set_tests_properties(tools:predict_streams_a_catalogue_of_several_chunks "tools:predict_--keys_on_the_streamed_catalogue"
                       PROPERTIES FIXTURES_SETUP polytag_tool_big)
  add_test(NAME tools:predict_streamed_rows_equal_the_in_memory_ones
           COMMAND ${POLYTAG_SYSTEM_PYTHON} -c
             "import sys; a = open(sys.argv[1]).read().splitlines(); b = open(sys.argv[2]).read().splitlines(); assert len(a) == 9001 and a[0] == b[0], len(a); assert [l.split(',')[0] for l in a[1:]] == ['k%d' % i for i in range(9000)]; rows = {l.split(',')[0]: l for l in a[1:]}; assert len(b) == 5 and all(rows[l.split(',')[0]] == l for l in b[1:]); print('same', len(b) - 1)"
             ${_tools_dir}/big.csv ${_tools_dir}/big-keys.csv)
  set_tests_properties(tools:predict_streamed_rows_equal_the_in_memory_ones PROPERTIES
                       FIXTURES_REQUIRED polytag_tool_big PASS_REGULAR_EXPRESSION "^same 4")
  polytag_tool_test("predict refuses repeated keys when streaming too" polytag-predict 1
                    "--model|synthetic.npz|--data|repeated-keys.npz"
                    "-DSTDERR_REGEX=^polytag-predict: error: repeated-keys.npz: sample_key 'a' appears in rows 0 and 2"
                    -DONE_LINE_STDERR=ON ${_needs})
  polytag_tool_test("predict rejects a bad model file" polytag-predict 1 "--model|not-a-model.npz|--data|catalogue.npz"
                    "-DSTDERR_REGEX=^polytag-predict: error: .*not-a-model.npz" -DONE_LINE_STDERR=ON ${_needs})
  if(TARGET embed)
    polytag_tool_test("embed: a good model and catalogue" embed 0 "synthetic.npz|catalogue.npz"
                      "-DSTDOUT_REGEX=^accordion +[0-9.]+\n.*voice +[0-9.]+\n$" -DSTDOUT_LINES=20 ${_needs})
    polytag_tool_test("embed: a model alone scores a neutral clip" embed 0 "synthetic.npz" -DSTDOUT_LINES=20 ${_needs})
    polytag_tool_test("embed: a bad model file is one line, exit 1" embed 1 "not-a-model.npz"
                      "-DSTDERR_REGEX=^embed: error: .*not-a-model.npz" -DONE_LINE_STDERR=ON ${_needs})
    polytag_tool_test("embed: clips of another width are refused" embed 1 "synthetic.npz|narrow.npz"
                      "-DSTDERR_REGEX=^embed: error: narrow.npz: X is [(]3, 10, 64[)], the model needs [(]N, 10, 128[)]"
                      -DONE_LINE_STDERR=ON ${_needs})
    polytag_tool_test("embed: usage" embed 2 "" "-DSTDERR_REGEX=^usage: embed" ${_needs})
  endif()
endif()
# On ../shared/data (skipped, and reported so, where it is absent).
set(_small "@SHARED@/openmic-like-small")
polytag_tool_test("predict csv on openmic-like-small" polytag-predict 0
                  "--model|synthetic.npz|--data|${_small}|--keys|000766_48000"
                  "-DSTDOUT_REGEX=^key,accordion,banjo,.*,voice\n000766_48000(,[0-9.e+-]+)+\n$"
                  REQUIRE_SHARED openmic-like-small/openmic-2018.npz FIXTURE_REQUIRED polytag_tool_model)
polytag_tool_test("predict json on the release npz" polytag-predict 0
                  "--model|synthetic.npz|--data|${_small}/openmic-2018.npz|--format|json"
                  "-DSTDOUT_REGEX=\"key\": \"000766_48000\".*\"voice\""
                  REQUIRE_SHARED openmic-like-small/openmic-2018.npz FIXTURE_REQUIRED polytag_tool_model)
polytag_tool_test("rank piano on openmic-like-small" polytag-rank 0
                  "--model|synthetic.npz|--data|${_small}|--instrument|piano|--top|5"
                  "-DSTDOUT_REGEX=rank +key +relevance +observed.*\n +5 +[0-9_]+ +[0-9.e+-]+"
                  REQUIRE_SHARED openmic-like-small/openmic-2018.npz FIXTURE_REQUIRED polytag_tool_model)
include(${CMAKE_CURRENT_LIST_DIR}/audio.cmake)
