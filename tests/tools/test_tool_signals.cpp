// polytag-train honours a Ctrl-C that arrives before its handler could have been installed:
// the tool is started with SIGINT blocked and already pending (so the test does not depend on
// timing); the handler, installed first thing in main, unblocks it and the run stops with 130.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {
/// Exit status of `args` started with SIGINT blocked and one SIGINT already pending (sent by the
/// child to itself before exec: the pending set and the mask survive execve), or -1.
int run_with_pending_sigint(std::vector<std::string> args, const std::string& workdir) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(&a[0]);
    argv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) return -1;
    if (pid == 0) {  // only async-signal-safe calls until exec
        sigset_t block;
        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        ::sigprocmask(SIG_BLOCK, &block, nullptr);
        std::signal(SIGINT, SIG_DFL);
        ::kill(::getpid(), SIGINT);
        if (::chdir(workdir.c_str()) == 0) ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    int status = -1;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}
}  // namespace

TEST_CASE("polytag-train: a SIGINT pending at start ends the run with exit 130, nothing trained", "[tools][signal]") {
    const auto dir = std::filesystem::temp_directory_path() / ("polytag_test_signal_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const int rc = run_with_pending_sigint({POLYTAG_TRAIN_EXE, "--epochs", "500", "--synthetic-clips", "3000",
                                            "--quiet", "--out", "m.npz", "--report", "r.json"},
                                           dir.string());
    CHECK(rc == 130);
    CHECK_FALSE(std::filesystem::exists(dir / "r.json"));  // stopped before training: no report
    std::filesystem::remove_all(dir);
}
