#pragma once
// The one way the tools print a relevance or label value: the shortest text that reads back
// as the same float (Python's repr layout: 0.27669454, 1.0, 3.2e-05), so CSV, JSON, JSON
// Lines and the rank table show the same digits for the same value, and none are lost.
#include <cmath>
#include <string>

#include "polytag/io/npz_print.hpp"

namespace polytag::openmic::cli {

inline std::string number_text(float v) { return io::repr_number(v); }

/// As number_text, but JSON has no NaN or infinity: those become null.
inline std::string json_number_text(float v) { return std::isfinite(v) ? io::repr_number(v) : std::string("null"); }

}  // namespace polytag::openmic::cli
