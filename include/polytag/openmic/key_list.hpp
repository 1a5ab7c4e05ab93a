#pragma once
// partitions/split01_{train,test}.csv: one sample key per line, no header. CRLF line ends,
// a missing or extra trailing newline and surrounding blanks are tolerated; blank lines
// are skipped; a UTF-8 byte-order mark at the start is dropped (as Python's utf-8-sig does:
// spreadsheet programs write one, and it would otherwise be an invisible part of the first key).
#include <fstream>
#include <string>
#include <vector>

#include "polytag/openmic/error.hpp"

namespace polytag::openmic {

/// A key and the 1-based line it came from (for error messages).
struct KeyLine {
    std::string key;
    Index line;
};

/// The keys of a split file in file order. Throws DatasetError when the file cannot be opened
/// or a line holds more than one field (a comma or inner blank).
inline std::vector<KeyLine> read_key_list(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw DatasetError(path, -1, -1, "cannot open the split file");
    std::vector<KeyLine> keys;
    std::string line;
    Index number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (number == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
        const auto first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos) continue;
        const auto last = line.find_last_not_of(" \t\r");
        std::string key = line.substr(first, last - first + 1);
        if (key.find_first_of(", \t") != std::string::npos)
            throw DatasetError(path, number, -1, "expected one sample key per line, got '" + key + "'");
        keys.push_back({std::move(key), number});
    }
    return keys;
}

}  // namespace polytag::openmic
