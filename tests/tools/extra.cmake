# Tool tests: run the built polytag-* programs (they exist when POLYTAG_BUILD_EXAMPLES is ON).
# Each checks the exit status and output; the training run uses the in-memory synthetic set,
# and the predict/rank runs use its model on ../shared/data when that folder exists.
if(NOT TARGET polytag-train OR NOT TARGET polytag-predict OR NOT TARGET polytag-rank)
  return()
endif()

set(_tools_dir ${CMAKE_CURRENT_BINARY_DIR}/tools_work)
set(_runner ${CMAKE_CURRENT_LIST_DIR}/run_tool.cmake)

# Test names carry no spaces (CMake < 3.19 policy CMP0110 cannot quote them in CTestTestfile).
function(polytag_tool_test_name out name)
  string(REGEX REPLACE "[^A-Za-z0-9_.-]+" "_" clean "${name}")
  set(${out} "tools:${clean}" PARENT_SCOPE)
endfunction()

# polytag_tool_test(<name> <tool> <expected exit> <args joined by |> [FIXTURE_SETUP f] [FIXTURE_REQUIRED f] -D...)
function(polytag_tool_test name tool expect_rc args)
  cmake_parse_arguments(T "" "FIXTURE_SETUP;FIXTURE_REQUIRED" "" ${ARGN})
  polytag_tool_test_name(test "${name}")
  add_test(NAME ${test}
           COMMAND ${CMAKE_COMMAND} -DTOOL=$<TARGET_FILE:${tool}> "-DARGS=${args}" -DEXPECT_RC=${expect_rc}
                   -DWORKDIR=${_tools_dir} ${T_UNPARSED_ARGUMENTS} -P ${_runner})
  if(T_FIXTURE_SETUP)
    set_tests_properties(${test} PROPERTIES FIXTURES_SETUP ${T_FIXTURE_SETUP})
  endif()
  if(T_FIXTURE_REQUIRED)
    set_tests_properties(${test} PROPERTIES FIXTURES_REQUIRED ${T_FIXTURE_REQUIRED})
  endif()
endfunction()

foreach(tool polytag-train polytag-predict polytag-rank)
  polytag_tool_test("${tool} --help" ${tool} 0 "--help" "-DSTDOUT_REGEX=Usage:.*--help")
endforeach()

# Bad input: non-zero exit and a one-line reason.
polytag_tool_test("train rejects an unknown pooling" polytag-train 2 "--pool|average"
                  "-DSTDERR_REGEX=^polytag-train: error: .*pool" -DONE_LINE_STDERR=ON)
polytag_tool_test("train rejects a bad trunk" polytag-train 1 "--trunk|64,x|--epochs|1"
                  "-DSTDERR_REGEX=^polytag-train: error: --trunk: 'x'" -DONE_LINE_STDERR=ON)
polytag_tool_test("train rejects a missing data folder" polytag-train 2 "--data|/nonexistent/openmic"
                  "-DSTDERR_REGEX=^polytag-train: error: .*nonexistent" -DONE_LINE_STDERR=ON)
polytag_tool_test("predict needs --model" polytag-predict 2 "--data|x"
                  "-DSTDERR_REGEX=^polytag-predict: error: --model is required" -DONE_LINE_STDERR=ON)
polytag_tool_test("predict rejects a missing model file" polytag-predict 1 "--model|missing.npz|--data|."
                  "-DSTDERR_REGEX=^polytag-predict: error: model file missing.npz" -DONE_LINE_STDERR=ON)
polytag_tool_test("rank rejects a bad --top" polytag-rank 2 "--model|m.npz|--data|.|--instrument|piano|--top|0"
                  "-DSTDERR_REGEX=^polytag-rank: error: .*top" -DONE_LINE_STDERR=ON)

# A short synthetic training run writes the model, report.json (with the issue's keys) and the SVG.
polytag_tool_test("train on synthetic data" polytag-train 0
                  "--epochs|3|--synthetic-clips|1500|--out|synthetic.npz|--report|synthetic-report.json|--threads|1"
                  "-DSTDOUT_REGEX=macro.*trained 3 epochs"
                  "-DEXPECT_FILES=synthetic.npz;synthetic-report.json;synthetic-report.svg"
                  -DJSON_FILE=synthetic-report.json
                  "-DJSON_KEYS=macro.mse|macro.mae|macro.f1|macro.f1_macro2|macro.ap|macro.auc|instruments.piano.n|instruments.piano.n_pos|instruments.voice.ap|train_seconds|epochs|config.model.pool|config.train.lr"
                  FIXTURE_SETUP polytag_tool_model)

polytag_tool_test("rank: unknown instrument lists the valid names" polytag-rank 1
                  "--model|synthetic.npz|--data|.|--instrument|kazoo"
                  "-DSTDERR_REGEX=^polytag-rank: error: unknown instrument 'kazoo'; valid names: accordion, .*voice"
                  -DONE_LINE_STDERR=ON FIXTURE_REQUIRED polytag_tool_model)

find_program(POLYTAG_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(POLYTAG_SYSTEM_PYTHON)
  add_test(NAME tools:model_file_loads_in_numpy_without_pickle
           COMMAND ${POLYTAG_SYSTEM_PYTHON} -c
             "import json, sys, numpy as np; m = np.load(sys.argv[1], allow_pickle=False); c = json.loads(str(m['config'])); assert m['class_names'].shape == (20,), m['class_names'].shape; assert m['normalizer.mean'].shape == (128,); assert m['trunk.0.weight'].shape == (c['trunk'][0], 128); assert str(m['format']) == 'polytag.openmic.relevance/1'; print('ok', sorted(m.files))"
             ${_tools_dir}/synthetic.npz)
  set_tests_properties(tools:model_file_loads_in_numpy_without_pickle PROPERTIES
                       FIXTURES_REQUIRED polytag_tool_model PASS_REGULAR_EXPRESSION "^ok ")
endif()

set(_small ${PROJECT_SOURCE_DIR}/../shared/data/openmic-like-small)
if(EXISTS ${_small}/openmic-2018.npz)
  polytag_tool_test("predict csv on openmic-like-small" polytag-predict 0
                    "--model|synthetic.npz|--data|${_small}|--keys|000766_48000"
                    "-DSTDOUT_REGEX=^key,accordion,banjo,.*,voice\n000766_48000(,[01]\\.[0-9]+)+\n$"
                    FIXTURE_REQUIRED polytag_tool_model)
  polytag_tool_test("predict json on the release npz" polytag-predict 0
                    "--model|synthetic.npz|--data|${_small}/openmic-2018.npz|--format|json"
                    "-DSTDOUT_REGEX=\"key\": \"000766_48000\".*\"voice\"" FIXTURE_REQUIRED polytag_tool_model)
  polytag_tool_test("predict rejects an unknown key" polytag-predict 1
                    "--model|synthetic.npz|--data|${_small}|--keys|no_such_key"
                    "-DSTDERR_REGEX=no clip 'no_such_key'" -DONE_LINE_STDERR=ON FIXTURE_REQUIRED polytag_tool_model)
  polytag_tool_test("rank piano on openmic-like-small" polytag-rank 0
                    "--model|synthetic.npz|--data|${_small}|--instrument|piano|--top|5"
                    "-DSTDOUT_REGEX=rank +key +relevance +observed.*\n +5 +[0-9_]+ +[01]\\.[0-9]+"
                    FIXTURE_REQUIRED polytag_tool_model)
endif()
