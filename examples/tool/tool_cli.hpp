#pragma once
// The polytag-* tools' contract, in one place:
//   exit 0    success (also --help and --version)
//   exit 1    bad input data: a file that cannot be read or does not hold what it should
//   exit 2    bad arguments: CLI11's own errors, values out of range, unknown instrument or key
//             names, output paths that cannot be written
//   exit 130  interrupted by Ctrl-C (polytag-train saves the best model so far first)
// Every error is one line on stderr: "<tool>: error: <reason>".
#include <csignal>
#include <cstdio>
#include <exception>
#include <new>
#include <string>

#include <CLI/CLI.hpp>

#include "polytag/version.hpp"
#include "tool/cli_support.hpp"

namespace polytag::openmic::cli {

enum ExitCode : int { kExitOk = 0, kExitBadInput = 1, kExitUsage = 2, kExitInterrupted = 130 };

/// Parses argv with --version added. Returns -1 when the tool should go on, otherwise the exit
/// status to return: --help / --version print to stdout and give 0; any parse error gives 2.
inline int parse(CLI::App& app, int argc, char** argv) {
    if (!app.get_option_no_throw("--version"))
        app.set_version_flag("--version", app.get_name() + " (polytag " POLYTAG_VERSION_STRING ")");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::printf("%s", app.help().c_str());
        return kExitOk;
    } catch (const CLI::CallForAllHelp&) {
        std::printf("%s", app.help("", CLI::AppFormatMode::All).c_str());
        return kExitOk;
    } catch (const CLI::CallForVersion& v) {
        std::printf("%s\n", v.what());
        return kExitOk;
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "%s: error: %s\n", app.get_name().c_str(), one_line(e.what()).c_str());
        return kExitUsage;
    }
    return -1;
}

/// Runs a tool's body and maps what escapes it to the contract above: UsageError -> 2, any
/// other exception -> 1, each as one line on stderr.
template <typename Body>
int guarded(const char* tool, Body&& body) {
    try {
        return body();
    } catch (const UsageError& e) {
        std::fprintf(stderr, "%s: error: %s\n", tool, one_line(e.what()).c_str());
        return kExitUsage;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "%s: error: out of memory\n", tool);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: error: %s\n", tool, one_line(e.what()).c_str());
    } catch (...) {
        std::fprintf(stderr, "%s: error: unknown failure\n", tool);
    }
    return kExitBadInput;
}

/// Runs `f` and turns a ValueError it throws into a UsageError: for checks of values that came
/// from the command line (config validation, instrument names) written in library code.
template <typename F>
auto as_usage(F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const UsageError&) {
        throw;
    } catch (const ValueError& e) {
        throw UsageError(e.what());
    }
}

}  // namespace polytag::openmic::cli
