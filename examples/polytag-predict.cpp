// polytag-predict: the 20 instrument relevances of each clip, as CSV, JSON or JSON Lines.
//
//   polytag-predict --model model.npz --data openmic-2018 --keys 000046_3840,000135_483840
//   polytag-predict --model model.npz --data clips.npz --format jsonl --out scores.jsonl
//   polytag-predict --model model.npz --data clips.npz --int8      # the 8-bit serving path
//
// A catalogue .npz is streamed (tool/clip_stream.hpp): memory stays bounded whatever its size.
// Every format prints the same digits for a value (tool/number_text.hpp). --out writes the
// file atomically (readers never see half of it). Exit status: 0 ok, 1 bad model or data
// file, 2 bad arguments (unknown keys included) (tool/tool_cli.hpp).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "polytag/io/atomic_file.hpp"
#include "polytag/openmic/quantized_model.hpp"
#include "polytag/openmic/relevance_model.hpp"
#include "tool/cli_support.hpp"
#include "tool/clip_source.hpp"
#include "tool/clip_stream.hpp"
#include "tool/number_text.hpp"
#include "tool/output_path.hpp"
#include "tool/tool_cli.hpp"

namespace po = polytag::openmic;

namespace {

/// Where the output goes: stdout, or the temporary file of an atomic write.
struct Sink {
    std::FILE* file;
    void put(const std::string& s) const {
        if (std::fwrite(s.data(), 1, s.size(), file) != s.size()) throw polytag::IoError("write failed");
    }
};

std::string json_string(const std::string& s) { return nlohmann::json(s).dump(); }

/// Writes the scores as they come, a chunk of clips at a time: the CSV header or the JSON
/// array's bracket first, then rows, then the end.
class ScoreWriter {
public:
    ScoreWriter(const Sink& out, std::string format, const std::vector<std::string>& names)
        : out_(out), format_(std::move(format)), names_(names) {
        for (const auto& name : names_) quoted_.push_back(json_string(name));
        if (format_ == "csv") {
            std::string line = "key";
            for (const auto& name : names_) line += "," + name;
            out_.put(line + "\n");
        } else if (format_ == "json") {
            out_.put("[");
        }
    }
    /// Rows of `pred` with their keys (pred has keys.size() rows).
    void rows(const std::string* keys, std::size_t n, const polytag::Tensor<float>& pred) {
        const std::size_t classes = names_.size();
        std::string line;
        for (std::size_t i = 0; i < n; ++i, ++written_) {
            const auto r = polytag::Index(i);
            if (format_ == "csv") {
                line = keys[i];
                for (std::size_t k = 0; k < classes; ++k) line += "," + po::cli::number_text(pred(r, polytag::Index(k)));
            } else {
                // One clip per line, {"key": ..., "relevance": {instrument: value, ...}}; "json"
                // puts the lines in one array, "jsonl" (JSON Lines) leaves them one object per line.
                line = format_ == "json" ? (written_ ? ",\n" : "\n") : "";
                line += "{\"key\": " + json_string(keys[i]) + ", \"relevance\": {";
                for (std::size_t k = 0; k < classes; ++k)
                    line += (k ? ", " : "") + quoted_[k] + ": " + po::cli::json_number_text(pred(r, polytag::Index(k)));
                line += "}}";
            }
            if (format_ != "json") line += "\n";
            out_.put(line);
        }
    }
    void finish() {
        if (format_ == "json") out_.put(written_ ? "\n]\n" : "]\n");
    }

private:
    Sink out_;
    std::string format_;
    std::vector<std::string> names_, quoted_;
    std::size_t written_ = 0;
};

int run(int argc, char** argv) {
    CLI::App app{"Score clips with an OpenMIC relevance model: 20 relevances in [0, 1] per clip.", "polytag-predict"};
    std::string model_path, data, format = "csv", out_path;
    std::string key_args;  // a plain string, so that --keys "" reaches the empty-list check
    app.add_option("--model", model_path, "model file written by polytag-train (required)");
    app.add_option("--data", data, "OpenMIC-2018 folder, or a .npz with X (N, 10, 128) uint8 [and sample_key] (required)");
    auto* keys_opt = app.add_option("--keys", key_args, "only these sample keys, comma separated (default: every clip)");
    app.add_option("--format", format, "csv | json (one array, a clip per line) | jsonl (JSON Lines)")
        ->capture_default_str()
        ->check(CLI::IsMember({"csv", "json", "jsonl"}));
    app.add_option("--out", out_path, "write to this file (atomically) instead of stdout");
    bool int8 = false;
    app.add_flag("--int8", int8,
                 "8-bit first layer (u8 x s8 products, openmic/quantized_model.hpp): faster on CPUs with AVX-512 VNNI "
                 "(slower than float on AVX2 alone); ReLU models on X only");
    if (int rc = po::cli::parse(app, argc, argv); rc >= 0) return rc;
    // Required options are checked after parsing, so that an unknown option is named first.
    if (model_path.empty()) throw po::cli::UsageError("--model is required");
    if (data.empty()) throw po::cli::UsageError("--data is required");

    std::vector<std::string> wanted;
    for (const auto& item : po::cli::split_list(key_args)) wanted.push_back(item);
    if (keys_opt->count() > 0 && wanted.empty()) throw po::cli::UsageError("--keys: the list of sample keys is empty");
    if (!out_path.empty()) po::cli::check_output_path(out_path, "--out");

    const po::RelevanceModel model = po::RelevanceModel::load(model_path);
    std::unique_ptr<po::QuantizedRelevanceModel> quantized;
    if (int8) quantized = std::make_unique<po::QuantizedRelevanceModel>(model);
    auto predict = [&](const polytag::Tensor<std::uint8_t>& x) {
        return quantized ? quantized->predict(x) : model.predict(x);
    };
    const std::vector<std::string> names(model.class_names().begin(), model.class_names().end());

    // Writes everything through `emit(writer)`, to stdout or atomically to --out.
    auto write = [&](const auto& emit) {
        if (out_path.empty()) {
            ScoreWriter w(Sink{stdout}, format, names);
            emit(w);
            w.finish();
            if (std::fflush(stdout) != 0) throw polytag::IoError("cannot write to stdout");
        } else {
            polytag::io::write_atomically(out_path, [&](polytag::io::AtomicFile& f) {
                ScoreWriter w(Sink{f.file()}, format, names);
                emit(w);
                w.finish();
            });
        }
    };

    if (wanted.empty() && !model.has_input2() && !std::filesystem::is_directory(data) &&
        std::filesystem::is_regular_file(data)) {
        // A catalogue .npz, every clip: streamed, kStreamChunk clips at a time (bounded memory).
        // (A model with a second input reads the catalogue whole, that array beside X.)
        constexpr polytag::Index kStreamChunk = 4096;
        po::ClipStream stream(data, model.frames(), model.features());
        polytag::Tensor<std::uint8_t> x;
        write([&](ScoreWriter& w) {
            std::size_t done = 0;
            for (polytag::Index n; (n = stream.next(kStreamChunk, x)) > 0; done += std::size_t(n))
                w.rows(stream.keys().data() + done, std::size_t(n), predict(x));
        });
        return po::cli::kExitOk;
    }

    // A model with a second input stream reads it from the data by the name its config stores.
    const po::ClipSet clips = po::load_clips(data, model.input2());
    po::check_clip_shape(clips, data, model.frames(), model.features());
    std::vector<polytag::Index> rows;
    if (wanted.empty()) {
        for (polytag::Index i = 0; i < clips.size(); ++i) rows.push_back(i);
    } else {
        for (const auto& k : wanted) {
            const polytag::Index r = clips.find(k);
            if (r < 0) throw po::cli::UsageError("--keys: no clip '" + k + "' in " + data);
            rows.push_back(r);
        }
    }
    const polytag::Index clip = model.frames() * model.features();
    polytag::Tensor<std::uint8_t> x(polytag::Shape{polytag::Index(rows.size()), model.frames(), model.features()});
    std::vector<std::string> keys;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        std::copy(clips.features.data() + rows[i] * clip, clips.features.data() + (rows[i] + 1) * clip,
                  x.data() + polytag::Index(i) * clip);
        keys.push_back(clips.keys[std::size_t(rows[i])]);
    }
    const polytag::Tensor<float> pred = model.has_input2() && !quantized ? po::score_rows(model, clips, rows) : predict(x);
    write([&](ScoreWriter& w) { w.rows(keys.data(), keys.size(), pred); });
    return po::cli::kExitOk;
}

}  // namespace

int main(int argc, char** argv) { return po::cli::guarded("polytag-predict", [&] { return run(argc, argv); }); }
