#pragma once
// --shard K/N for the audio tools: process every N-th file of the argument list starting at
// file K (0-based), so any scheduler can split a catalogue by giving each process the same
// arguments and a different K. "--shard auto" reads K and N from the launcher:
//   Open MPI (mpirun):  OMPI_COMM_WORLD_RANK / OMPI_COMM_WORLD_SIZE
//   Slurm job array:    (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP,
//                       of SLURM_ARRAY_TASK_COUNT tasks (--array=A-B[:S], any start A)
// Neither set, both set, or an irregular array (--array=1,4,9) is a UsageError saying so.
#include <cstdlib>
#include <functional>
#include <string>

#include "tool/cli_support.hpp"

namespace polytag::openmic::cli {

struct Shard {
    long index = 0, count = 1;
    bool mine(std::size_t file) const { return long(file % std::size_t(count)) == index; }
    std::string str() const { return std::to_string(index) + "/" + std::to_string(count); }
};

namespace audio_shard_detail {
inline bool parse_long(const std::string& s, long& v) {
    if (s.empty() || s.size() > 12) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    v = std::stol(s);
    return true;
}
}  // namespace audio_shard_detail

/// The environment as the shard parser sees it (tests pass their own).
using EnvLookup = std::function<const char*(const char*)>;

inline Shard parse_shard(const std::string& text, const EnvLookup& env = [](const char* n) { return std::getenv(n); }) {
    using audio_shard_detail::parse_long;
    Shard s;
    if (text == "auto") {
        auto get = [&](const char* name) -> const char* { return env(name); };
        auto number = [&](const char* name) {
            long v = 0;
            const char* t = get(name);
            if (!t || !parse_long(t, v))
                throw UsageError(std::string("--shard auto: ") + name + " is '" + (t ? t : "") +
                                 "', not a non-negative integer");
            return v;
        };
        const bool mpi = get("OMPI_COMM_WORLD_RANK") && get("OMPI_COMM_WORLD_SIZE");
        const bool slurm = get("SLURM_ARRAY_TASK_ID") && get("SLURM_ARRAY_TASK_COUNT");
        if (mpi && slurm)
            throw UsageError("--shard auto: both Open MPI (OMPI_COMM_WORLD_RANK) and a Slurm array "
                             "(SLURM_ARRAY_TASK_ID) are set; give --shard K/N");
        if (mpi) {
            s.index = number("OMPI_COMM_WORLD_RANK");
            s.count = number("OMPI_COMM_WORLD_SIZE");
        } else if (slurm) {
            const long id = number("SLURM_ARRAY_TASK_ID"), count = number("SLURM_ARRAY_TASK_COUNT");
            const long min = get("SLURM_ARRAY_TASK_MIN") ? number("SLURM_ARRAY_TASK_MIN") : 0;
            const long step = get("SLURM_ARRAY_TASK_STEP") ? number("SLURM_ARRAY_TASK_STEP") : 1;
            const long max = get("SLURM_ARRAY_TASK_MAX") ? number("SLURM_ARRAY_TASK_MAX") : min + (count - 1) * step;
            if (step < 1 || id < min || (id - min) % step != 0 || (max - min) != (count - 1) * step)
                throw UsageError("--shard auto: the Slurm array (task " + std::to_string(id) + ", min " +
                                 std::to_string(min) + ", max " + std::to_string(max) + ", step " +
                                 std::to_string(step) + ", count " + std::to_string(count) +
                                 ") is not a regular range A-B[:S]; give --shard K/N");
            s.index = (id - min) / step;
            s.count = count;
        } else {
            throw UsageError("--shard auto: no launcher found (neither OMPI_COMM_WORLD_RANK/OMPI_COMM_WORLD_SIZE "
                             "from mpirun nor SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT from a Slurm array); "
                             "give --shard K/N");
        }
    } else {
        const auto slash = text.find('/');
        if (slash == std::string::npos || !parse_long(text.substr(0, slash), s.index) ||
            !parse_long(text.substr(slash + 1), s.count))
            throw UsageError("--shard: '" + text + "' is not K/N (e.g. 0/4) or auto");
    }
    if (s.count < 1 || s.index >= s.count)
        throw UsageError("--shard: shard " + std::to_string(s.index) + " of " + std::to_string(s.count) +
                         " does not exist (K must be in [0, N))");
    return s;
}

/// An output path with "{shard}" replaced by K (so that every process of `mpirun --shard auto`
/// or of a Slurm array writes its own file: --out part-{shard}.npz).
inline std::string shard_path(std::string path, const Shard& s) {
    const std::string tag = "{shard}";
    for (std::size_t at; (at = path.find(tag)) != std::string::npos;) path.replace(at, tag.size(), std::to_string(s.index));
    return path;
}

}  // namespace polytag::openmic::cli
