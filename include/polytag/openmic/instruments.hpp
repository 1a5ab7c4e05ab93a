#pragma once
// The OpenMIC-2018 layout constants and the 20 instrument names of the release.
#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <vector>

#include "polytag/error.hpp"
#include "polytag/tensor/shape.hpp"

namespace polytag::openmic {

/// VGGish frames per 10-second clip.
constexpr Index kFrames = 10;
/// VGGish embedding dimensions per frame.
constexpr Index kFeatures = 128;
/// Instruments (label columns) in the release.
constexpr Index kInstruments = 20;

/// The release's instrument names in its column order (class-map.json of OpenMIC-2018).
inline const std::array<std::string, kInstruments>& release_instrument_names() {
    static const std::array<std::string, kInstruments> names = {
        "accordion", "banjo",   "bass",  "cello",    "clarinet",  "cymbals",     "drums",
        "flute",     "guitar",  "mallet_percussion", "mandolin",  "organ",       "piano",
        "saxophone", "synthesizer", "trombone", "trumpet", "ukulele", "violin", "voice"};
    return names;
}

/// True when `name` is one of the 20 release instrument names.
inline bool is_release_instrument(const std::string& name) {
    for (const auto& n : release_instrument_names())
        if (n == name) return true;
    return false;
}

namespace detail {
/// Edit distance of a and b, case-insensitive (the suggestion for a mistyped name).
inline std::size_t name_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const bool same = std::tolower((unsigned char)a[i - 1]) == std::tolower((unsigned char)b[j - 1]);
            const std::size_t next = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1)});
            diag = row[j];
            row[j] = next;
        }
    }
    return row[b.size()];
}
}  // namespace detail

/// The column of instrument `name` among `names` (a model's or a dataset's class names). An
/// unknown name is a ValueError that suggests the closest valid name and lists them all.
template <typename Names>
Index class_index(const Names& names, const std::string& name) {
    std::size_t column = 0, best = std::string::npos, best_distance = std::string::npos;
    for (const auto& n : names) {
        if (n == name) return static_cast<Index>(column);
        const std::size_t d = detail::name_distance(n, name);
        if (d < best_distance) best_distance = d, best = column;
        ++column;
    }
    std::string valid, suggestion;
    column = 0;
    for (const auto& n : names) {
        valid += (valid.empty() ? "" : ", ") + n;
        if (column++ == best) suggestion = n;
    }
    throw ValueError("unknown instrument '" + name + "'" +
                     (suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)") + "; valid names: " + valid);
}

}  // namespace polytag::openmic
