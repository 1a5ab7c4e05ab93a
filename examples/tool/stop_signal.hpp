#pragma once
// Ctrl-C for training: a SIGINT handler that only sets a std::sig_atomic_t flag (the one
// thing a handler may safely do). The trainer polls the flag after every batch, stops,
// restores the best weights so far and returns; the tool then saves that model. A second
// Ctrl-C falls back to the default action, so a stuck program can still be killed.
#include <csignal>

namespace polytag::openmic {

/// The process-wide stop request (1 = stop after the current batch).
inline volatile std::sig_atomic_t& stop_flag() {
    static volatile std::sig_atomic_t flag = 0;
    return flag;
}

inline void request_stop() { stop_flag() = 1; }
inline void clear_stop() { stop_flag() = 0; }
inline bool stop_requested() { return stop_flag() != 0; }

namespace detail {
extern "C" inline void on_sigint(int) {
    stop_flag() = 1;
    std::signal(SIGINT, SIG_DFL);  // the next Ctrl-C terminates as usual
}
}  // namespace detail

/// Installs the handler: Ctrl-C sets stop_flag() instead of terminating the process.
inline void install_sigint_handler() {
    clear_stop();
    std::signal(SIGINT, detail::on_sigint);
}

}  // namespace polytag::openmic
