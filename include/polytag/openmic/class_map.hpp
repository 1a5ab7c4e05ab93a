#pragma once
// class-map.json: {"accordion": 0, ..., "voice": 19}. Read and checked to be a bijection from
// the 20 release instrument names onto the columns 0..19.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "polytag/openmic/error.hpp"
#include "polytag/openmic/instruments.hpp"

namespace polytag::openmic {

/// Class names in column order, parsed from the text of a class map. `file` names the source
/// in errors. Throws DatasetError for bad JSON, a name that is not a release instrument,
/// an index that is not an integer in [0, 20), two names on one column, or a missing column.
inline std::vector<std::string> parse_class_map(const std::string& text, const std::string& file) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw DatasetError(file, -1, -1, std::string("not valid JSON: ") + e.what());
    }
    if (!j.is_object()) throw DatasetError(file, -1, -1, "expected a JSON object of instrument name -> column");
    std::vector<std::string> names(static_cast<std::size_t>(kInstruments));
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string& name = it.key();
        if (!is_release_instrument(name))
            throw DatasetError(file, -1, -1, "unknown instrument '" + name + "' (not one of the 20 OpenMIC-2018 names)");
        if (!it.value().is_number_integer())
            throw DatasetError(file, -1, -1, "column of '" + name + "' is not an integer: " + it.value().dump());
        const auto col = it.value().get<std::int64_t>();
        if (col < 0 || col >= kInstruments)
            throw DatasetError(file, -1, -1, "column of '" + name + "' is " + std::to_string(col) + ", outside [0, 20)");
        auto& slot = names[static_cast<std::size_t>(col)];
        if (!slot.empty())
            throw DatasetError(file, -1, col, "'" + slot + "' and '" + name + "' both map to column " + std::to_string(col));
        slot = name;
    }
    for (Index c = 0; c < kInstruments; ++c)
        if (names[static_cast<std::size_t>(c)].empty()) {
            std::string missing;
            for (const auto& n : release_instrument_names())
                if (!j.contains(n)) missing += (missing.empty() ? "" : ", ") + n;
            throw DatasetError(file, -1, c, "no instrument maps to column " + std::to_string(c) + " (missing: " + missing + ")");
        }
    return names;
}

/// Reads and checks a class-map.json file (see parse_class_map).
inline std::vector<std::string> read_class_map(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw DatasetError(path, -1, -1, "cannot open the class map");
    std::ostringstream text;
    text << in.rdbuf();
    return parse_class_map(text.str(), path);
}

}  // namespace polytag::openmic
