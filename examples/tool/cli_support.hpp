#pragma once
// Small pieces shared by the polytag-* tools, free of CLI11: the error that means "bad
// argument" (exit 2, see tool_cli.hpp), one-line messages, and comma-separated lists.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "polytag/error.hpp"

namespace polytag::openmic::cli {

/// A bad command-line argument found after parsing (a value out of range, an unknown name,
/// an unwritable output path): the tools exit 2 for it, 1 for bad input files.
class UsageError : public ValueError {
public:
    using ValueError::ValueError;
};

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
            throw UsageError(option + ": '" + item + "' is not a width in [1, 65536]");
        out.push_back(int(v));
    }
    if (out.empty()) throw UsageError(option + ": needs at least one width");
    return out;
}

}  // namespace polytag::openmic::cli
