#pragma once
// What the LibTorch peers share: the process's peak RSS, and the tuned configuration's
// environment (thread counts for libgomp and OpenBLAS, passive OpenMP waiting), which those
// libraries read when they are loaded, before main: so the program sets it and runs itself again.
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace polytag::peers {

inline double peak_rss_mb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_maxrss) / 1024.0;  // KiB on Linux
}

/// Re-executes the program with the tuned environment unless it already runs in it.
inline void reexec_with_tuned_environment(int threads, char** argv, const char* program) {
    if (std::getenv("POLYTAG_PEER_TUNED")) return;
    const std::string t = std::to_string(threads);
    setenv("OMP_NUM_THREADS", t.c_str(), 1);
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    setenv("OPENBLAS_NUM_THREADS", t.c_str(), 1);
    setenv("MKL_NUM_THREADS", t.c_str(), 1);
    setenv("POLYTAG_PEER_TUNED", "1", 1);
    execv("/proc/self/exe", argv);
    std::perror((std::string(program) + ": execv").c_str());  // only on failure: run untuned rather than not at all
}

}  // namespace polytag::peers
