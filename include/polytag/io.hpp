#pragma once
// polytag::io in one include: NumPy .npy/.npz reading and writing, atomic files, saved networks.
#include "polytag/io/atomic_file.hpp"
#include "polytag/io/network_file.hpp"
#include "polytag/io/npy.hpp"
#include "polytag/io/npz.hpp"
#include "polytag/version.hpp"  // POLYTAG_VERSION_STRING with any umbrella
