#pragma once
// Small pieces shared by the polytag-* tools, kept here (free of CLI11) so they can be tested:
// the one-line error contract, and parsing of comma-separated lists.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "polytag/error.hpp"

namespace polytag::openmic::cli {

/// `text` on one line: newlines become "; ", trailing whitespace goes.
inline std::string one_line(std::string text) {
    std::string out;
    for (char c : text) {
        if (c == '\n' || c == '\r') {
            if (!out.empty() && out.back() != ' ') out += "; ";
        } else {
            out += c;
        }
    }
    while (!out.empty() && (out.back() == ' ' || out.back() == ';')) out.pop_back();
    return out;
}

/// Runs a tool's body; any exception becomes "<tool>: error: <reason>" on stderr, exit 1.
template <typename Body>
int guarded(const char* tool, Body&& body) {
    try {
        return body();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: error: %s\n", tool, one_line(e.what()).c_str());
    } catch (...) {
        std::fprintf(stderr, "%s: error: unknown failure\n", tool);
    }
    return 1;
}

/// "a,b,,c" -> {"a", "b", "c"} (empty items dropped, surrounding spaces trimmed).
inline std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    auto flush = [&] {
        const auto b = cur.find_first_not_of(" \t");
        const auto e = cur.find_last_not_of(" \t");
        if (b != std::string::npos) out.push_back(cur.substr(b, e - b + 1));
        cur.clear();
    };
    for (char c : s) {
        if (c == ',') flush();
        else cur += c;
    }
    flush();
    return out;
}

/// "256,128" -> {256, 128}; anything but positive integers is a ValueError naming `option`.
inline std::vector<int> parse_widths(const std::string& s, const std::string& option) {
    std::vector<int> out;
    for (const auto& item : split_list(s)) {
        std::size_t used = 0;
        long v = 0;
        try {
            v = std::stol(item, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != item.size() || v < 1 || v > 65536)
            throw ValueError(option + ": '" + item + "' is not a width in [1, 65536]");
        out.push_back(int(v));
    }
    if (out.empty()) throw ValueError(option + ": needs at least one width");
    return out;
}

}  // namespace polytag::openmic::cli
