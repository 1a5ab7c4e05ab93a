// polytag-npz: what is inside a numpy .npz archive or .npy file.
//
//   polytag-npz FILE                  one line per array: NAME<TAB>DTYPE<TAB>SHAPE
//   polytag-npz FILE NAME             that array's line only
//   polytag-npz FILE NAME --head K    the first K elements of NAME in row-major order
//
// A .npy file is listed as one array named after the file. An array polytag cannot read is
// listed as NAME<TAB>DESCR<TAB>unsupported: REASON, the others as usual, and the exit status
// is then 1. Exit status: 0 ok, 1 unreadable file or array, 2 bad arguments (tool/tool_cli.hpp).
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "polytag/io/npz_print.hpp"
#include "tool/tool_cli.hpp"

namespace cli = polytag::openmic::cli;

namespace {

int run(int argc, char** argv) {
    CLI::App app{"List the arrays of a numpy .npz archive or .npy file, or print the first elements of one.",
                 "polytag-npz"};
    std::string file, name;
    std::size_t head = 0;
    app.add_option("FILE", file, "the .npz archive or .npy file")->required();
    app.add_option("NAME", name, "an array in it (with --head: the one to print)");
    auto* head_opt = app.add_option("--head", head, "print the first K elements of NAME, one per line");
    head_opt->needs(app.get_option("NAME"));
    if (int rc = cli::parse(app, argc, argv); rc >= 0) return rc;

    const polytag::io::ArrayFile arrays(file);
    int rc = cli::kExitOk;
    if (name.empty()) {
        std::size_t unsupported = 0;
        for (const std::string& line : polytag::io::array_listing(arrays, &unsupported)) std::cout << line << '\n';
        if (unsupported) {
            std::cout.flush();
            std::fprintf(stderr, "polytag-npz: error: %s: %zu array%s cannot be read by polytag (marked above)\n",
                         file.c_str(), unsupported, unsupported == 1 ? "" : "s");
            rc = cli::kExitBadInput;
        }
    } else if (head_opt->count() == 0) {
        const polytag::io::ArrayInfo info = polytag::io::detail::read_npy_header(*arrays.open(name));
        std::cout << name << '\t' << info.numpy_name() << '\t' << polytag::io::shape_csv(info.shape) << '\n';
    } else {
        for (const std::string& v : polytag::io::npz_head(arrays, name, head)) std::cout << v << '\n';
    }
    std::cout.flush();
    if (!std::cout) throw polytag::IoError("cannot write to stdout");
    return rc;
}

}  // namespace

int main(int argc, char** argv) { return cli::guarded("polytag-npz", [&] { return run(argc, argv); }); }
