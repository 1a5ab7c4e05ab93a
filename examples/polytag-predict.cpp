// polytag-predict: the 20 instrument relevances of each clip, as CSV or JSON on stdout.
//
//   polytag-predict --model model.npz --data openmic-2018 --keys 000046_3840,000135_483840
//   polytag-predict --model model.npz --data clips.npz --format json
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "tool/cli_support.hpp"
#include "tool/clip_source.hpp"
#include "polytag/openmic/relevance_model.hpp"
#include "tool/tool_cli.hpp"

namespace po = polytag::openmic;

namespace {

int run(int argc, char** argv) {
    CLI::App app{"Score clips with an OpenMIC relevance model: 20 relevances in [0, 1] per clip.", "polytag-predict"};
    std::string model_path, data, keys, format = "csv";
    app.add_option("--model", model_path, "model file written by polytag-train")->required();
    app.add_option("--data", data, "OpenMIC-2018 folder, or a .npz with X (N, 10, 128) uint8 [and sample_key]")
        ->required();
    app.add_option("--keys", keys, "only these sample keys, comma separated (default: every clip)");
    app.add_option("--format", format, "csv|json")->capture_default_str()->check(CLI::IsMember({"csv", "json"}));
    if (int rc = po::cli::parse(app, argc, argv); rc >= 0) return rc;

    const po::RelevanceModel model = po::RelevanceModel::load(model_path);
    const po::ClipSet clips = po::load_clips(data);
    if (clips.features.dim(1) != model.frames() || clips.features.dim(2) != model.features())
        throw polytag::ValueError(data + ": clips are " + std::to_string(clips.features.dim(1)) + "x" +
                                  std::to_string(clips.features.dim(2)) + ", the model expects " +
                                  std::to_string(model.frames()) + "x" + std::to_string(model.features()));
    std::vector<polytag::Index> rows;
    if (keys.empty()) {
        for (polytag::Index i = 0; i < clips.size(); ++i) rows.push_back(i);
    } else {
        for (const auto& k : po::cli::split_list(keys)) {
            const polytag::Index r = clips.find(k);
            if (r < 0) throw polytag::ValueError("--keys: no clip '" + k + "' in " + data);
            rows.push_back(r);
        }
    }
    const polytag::Index clip = model.frames() * model.features();
    polytag::Tensor<std::uint8_t> x(polytag::Shape{polytag::Index(rows.size()), model.frames(), model.features()});
    for (std::size_t i = 0; i < rows.size(); ++i)
        std::copy(clips.features.data() + rows[i] * clip, clips.features.data() + (rows[i] + 1) * clip,
                  x.data() + polytag::Index(i) * clip);
    const polytag::Tensor<float> pred = model.predict(x);
    const auto& names = model.class_names();
    if (format == "csv") {
        std::printf("key");
        for (const auto& n : names) std::printf(",%s", n.c_str());
        std::printf("\n");
        for (std::size_t i = 0; i < rows.size(); ++i) {
            std::printf("%s", clips.keys[std::size_t(rows[i])].c_str());
            for (polytag::Index k = 0; k < model.classes(); ++k) std::printf(",%.6f", pred(polytag::Index(i), k));
            std::printf("\n");
        }
    } else {
        nlohmann::json out = nlohmann::json::array();
        for (std::size_t i = 0; i < rows.size(); ++i) {
            nlohmann::json rel = nlohmann::json::object();
            for (polytag::Index k = 0; k < model.classes(); ++k)
                rel[names[std::size_t(k)]] = std::round(double(pred(polytag::Index(i), k)) * 1e6) / 1e6;
            out.push_back({{"key", clips.keys[std::size_t(rows[i])]}, {"relevance", rel}});
        }
        std::printf("%s\n", out.dump(1).c_str());
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) { return po::cli::guarded("polytag-predict", [&] { return run(argc, argv); }); }
