// polytag-rank: clips ranked by the predicted relevance of one instrument, with the observed
// label beside each clip where the data has one.
//
//   polytag-rank --model model.npz --data openmic-2018 --instrument piano --top 20
#include <algorithm>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "tool/cli_support.hpp"
#include "tool/clip_source.hpp"
#include "polytag/openmic/relevance_model.hpp"
#include "tool/tool_cli.hpp"

namespace po = polytag::openmic;

namespace {

int run(int argc, char** argv) {
    CLI::App app{"Rank clips by how strongly one instrument is predicted (observed labels shown where known).",
                 "polytag-rank"};
    std::string model_path, data, instrument;
    int top = 10;
    app.add_option("--model", model_path, "model file written by polytag-train")->required();
    app.add_option("--data", data, "OpenMIC-2018 folder, or a .npz with X (N, 10, 128) uint8 [and sample_key]")
        ->required();
    app.add_option("--instrument", instrument, "one of the 20 instrument names, e.g. piano")->required();
    app.add_option("--top", top, "how many clips to list")->capture_default_str()->check(CLI::Range(1, 1 << 30));
    if (int rc = po::cli::parse(app, argc, argv); rc >= 0) return rc;

    const po::RelevanceModel model = po::RelevanceModel::load(model_path);
    const polytag::Index k = model.class_index(instrument);  // unknown: error listing the valid names
    const po::ClipSet clips = po::load_clips(data);
    if (clips.features.dim(1) != model.frames() || clips.features.dim(2) != model.features())
        throw polytag::ValueError(data + ": clips are " + std::to_string(clips.features.dim(1)) + "x" +
                                  std::to_string(clips.features.dim(2)) + ", the model expects " +
                                  std::to_string(model.frames()) + "x" + std::to_string(model.features()));
    const polytag::Tensor<float> pred = model.predict(clips.features);
    std::vector<polytag::Index> order(std::size_t(clips.size()));
    std::iota(order.begin(), order.end(), polytag::Index(0));
    const std::size_t shown = std::min(order.size(), std::size_t(top));
    // Highest relevance first; ties by key, so the listing is deterministic.
    std::partial_sort(order.begin(), order.begin() + std::ptrdiff_t(shown), order.end(),
                      [&](polytag::Index a, polytag::Index b) {
                          const float pa = pred(a, k), pb = pred(b, k);
                          return pa != pb ? pa > pb : clips.keys[std::size_t(a)] < clips.keys[std::size_t(b)];
                      });
    std::printf("%5s  %-24s %9s  %8s  %s\n", "rank", "key", "relevance", "observed", "split");
    for (std::size_t i = 0; i < shown; ++i) {
        const polytag::Index r = order[i];
        char observed[16] = "-";
        if (clips.has_labels() && clips.mask(r, k) != 0.0f) std::snprintf(observed, sizeof observed, "%.3f", clips.y_true(r, k));
        std::printf("%5zu  %-24s %9.4f  %8s  %s\n", i + 1, clips.keys[std::size_t(r)].c_str(), pred(r, k), observed,
                    clips.split[std::size_t(r)].c_str());
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) { return po::cli::guarded("polytag-rank", [&] { return run(argc, argv); }); }
