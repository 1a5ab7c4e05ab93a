# Runs polytag-embed as two Open MPI processes with --shard auto, merges their outputs and
# checks the merged table is byte for byte the one process's table (EXPECTED).
#   cmake -DTOOL=<polytag-embed> -DMPIRUN=<mpirun or empty> -DARGS="a|b" -DWORKDIR=dir
#         -DEXPECTED=<npz> -P run_audio_mpi.cmake
# Without mpirun it prints "skipped: ..." (the test is reported skipped).
if(NOT MPIRUN)
  message("skipped: mpirun not found (Debian: apt-get install openmpi-bin)")
  return()
endif()
string(REPLACE "|" ";" ARG_LIST "${ARGS}")
# Open MPI refuses to start as root unless told that it is meant.
set(ENV{OMPI_ALLOW_RUN_AS_ROOT} 1)
set(ENV{OMPI_ALLOW_RUN_AS_ROOT_CONFIRM} 1)
file(REMOVE "${WORKDIR}/mpi-0.npz" "${WORKDIR}/mpi-1.npz" "${WORKDIR}/mpi-merged.npz")
execute_process(COMMAND "${MPIRUN}" --oversubscribe -np 2 "${TOOL}" ${ARG_LIST} --shard auto
                        --out mpi-{shard}.npz --quiet
                WORKING_DIRECTORY "${WORKDIR}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message(STATUS "mpirun: exit ${rc}\n${out}\n${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "mpirun -np 2 polytag-embed --shard auto failed (exit ${rc})")
endif()
foreach(k 0 1)
  if(NOT EXISTS "${WORKDIR}/mpi-${k}.npz")
    message(FATAL_ERROR "rank ${k} wrote no mpi-${k}.npz")
  endif()
endforeach()
file(SIZE "${WORKDIR}/mpi-0.npz" s0)
file(SIZE "${WORKDIR}/mpi-1.npz" s1)
if(s0 EQUAL s1)
  message(FATAL_ERROR "the two ranks wrote tables of the same size: did both take the same shard?")
endif()
# Merge in the "wrong" order: the merge restores the argument order.
execute_process(COMMAND "${TOOL}" --merge mpi-1.npz mpi-0.npz --out mpi-merged.npz
                WORKING_DIRECTORY "${WORKDIR}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message(STATUS "merge: exit ${rc}\n${out}\n${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "polytag-embed --merge failed (exit ${rc})")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files "${WORKDIR}/mpi-merged.npz" "${EXPECTED}" RESULT_VARIABLE same)
if(NOT same EQUAL 0)
  message(FATAL_ERROR "the merged table differs from the one process's ${EXPECTED}")
endif()
message(STATUS "ok: 2 ranks merged = one process, byte for byte")
