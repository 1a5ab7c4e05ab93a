#pragma once
// The OpenMIC-2018 layout constants and the 20 instrument names of the release.
#include <array>
#include <string>

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

}  // namespace polytag::openmic
