// polytag-npz: what is inside a numpy .npz archive.
//
//   polytag-npz FILE                  one line per array: NAME<TAB>DTYPE<TAB>SHAPE
//   polytag-npz FILE NAME --head K    the first K elements of NAME in row-major order
//
// A file polytag cannot read prints the error on stderr and exits with status 1.
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "polytag/io/npz_print.hpp"

int main(int argc, char** argv) {
    CLI::App app{"List the arrays of a numpy .npz file, or print the first elements of one."};
    std::string file, name;
    std::size_t head = 0;
    app.add_option("FILE", file, "the .npz archive")->required();
    app.add_option("NAME", name, "an array in it (with --head)");
    auto* head_opt = app.add_option("--head", head, "print the first K elements of NAME, one per line");
    head_opt->needs(app.get_option("NAME"));
    CLI11_PARSE(app, argc, argv);
    try {
        const polytag::io::NpzReader npz(file);
        if (name.empty()) {
            for (const std::string& line : polytag::io::npz_listing(npz)) std::cout << line << '\n';
        } else if (head_opt->count() == 0) {
            const polytag::io::ArrayInfo info = npz.info(name);
            std::cout << name << '\t' << info.numpy_name() << '\t' << polytag::io::shape_csv(info.shape) << '\n';
        } else {
            for (const std::string& v : polytag::io::npz_head(npz, name, head)) std::cout << v << '\n';
        }
        std::cout.flush();
        if (!std::cout) throw std::runtime_error("cannot write to stdout");
    } catch (const std::exception& e) {
        std::cerr << "polytag-npz: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
