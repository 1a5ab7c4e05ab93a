#pragma once
// CLI11 parsing with the tools' contract: --help prints the help and exits 0; a bad argument
// prints one line "<tool>: error: <reason>" and exits 2.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "tool/cli_support.hpp"

namespace polytag::openmic::cli {

/// -1 when the tool should go on, otherwise the exit status to return.
inline int parse(CLI::App& app, int argc, char** argv) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::printf("%s", app.help().c_str());
        return 0;
    } catch (const CLI::CallForAllHelp&) {
        std::printf("%s", app.help("", CLI::AppFormatMode::All).c_str());
        return 0;
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "%s: error: %s\n", app.get_name().c_str(), one_line(e.what()).c_str());
        return 2;
    }
    return -1;
}

}  // namespace polytag::openmic::cli
