#pragma once
// Ctrl-C for training: a SIGINT handler that only sets a std::sig_atomic_t flag (the one
// thing a handler may safely do). The trainer polls the flag after every batch, stops,
// restores the best weights so far and returns; the tool then saves that model. A second
// Ctrl-C falls back to the default action, so a stuck program can still be killed.
#include <csignal>

#include <signal.h>

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

/// Installs the handler: Ctrl-C sets stop_flag() instead of terminating the process. Call it
/// first thing in main. SIGINT is then unblocked, so one sent before the program started and
/// held pending by an inherited signal mask is honoured as a stop request, not lost. A SIGINT
/// the parent set to be ignored (`nohup`, `cmd &` in a script) stays ignored.
inline void install_sigint_handler() {
    clear_stop();
    struct sigaction previous {};
    if (::sigaction(SIGINT, nullptr, &previous) == 0 && previous.sa_handler == SIG_IGN) return;
    std::signal(SIGINT, detail::on_sigint);
    sigset_t only_sigint;
    sigemptyset(&only_sigint);
    sigaddset(&only_sigint, SIGINT);
    ::sigprocmask(SIG_UNBLOCK, &only_sigint, nullptr);
}

}  // namespace polytag::openmic
