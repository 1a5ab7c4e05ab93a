// polytag-tag: audio files in, the 20 OpenMIC instrument relevances of every 10-s clip out.
//
//   polytag-tag song.mp3 --vggish vggish.npz --model model.npz
//   polytag-tag music/*.flac --vggish vggish.npz --model model.npz --format csv --out tags.csv --threads 2
//
// One row per clip: key ("<file stem>_<start ms>"), file, start (s), then the relevances in
// the model's instrument order. The clips are those polytag-embed writes (same front end,
// same padding of the last clip, tool/audio_pipeline.hpp), and the relevances those
// polytag-predict gives on polytag-embed's output (to about 1e-4: docs/audio.md "Tools"). table: aligned columns, 3 decimals;
// csv and jsonl: every digit (the shortest text that reads back as the same float), as polytag-predict prints them. Rows are
// printed as files finish, in argument order. A file that cannot be read is reported (one
// line naming it) and skipped, exit 1 at the end; --strict stops at the first (with --out
// nothing is written). Exit status: 0 ok, 1 bad audio, VGGish or model file, 2 bad
// arguments, 130 interrupted (tool/tool_cli.hpp).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "polytag/audio/vggish.hpp"
#include "polytag/io/atomic_file.hpp"
#include "polytag/io/npz_print.hpp"
#include "polytag/openmic/relevance_model.hpp"
#include "polytag/tensor/threads.hpp"
#include "tool/audio_pipeline.hpp"
#include "tool/audio_shard.hpp"
#include "tool/cli_support.hpp"
#include "tool/output_path.hpp"
#include "tool/stop_signal.hpp"
#include "tool/tool_cli.hpp"

namespace po = polytag::openmic;
namespace cli = polytag::openmic::cli;

namespace {

constexpr const char* kTool = "polytag-tag";

struct Tagged {
    cli::FileRows rows;
    polytag::Tensor<float> relevance;  // (rows, classes)
};

std::string json_string(const std::string& s) { return nlohmann::json(s).dump(); }

// The digits polytag-predict prints (the shortest text that reads back as the same float).
std::string number_text(float v) { return polytag::io::repr_number(v); }
std::string json_number_text(float v) { return std::isfinite(v) ? polytag::io::repr_number(v) : std::string("null"); }

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

std::string start_text(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.10g", s);
    return buf;
}

class Printer {
public:
    Printer(std::FILE* out, std::string format, std::vector<std::string> names, std::size_t key_width)
        : out_(out), format_(std::move(format)), names_(std::move(names)), key_width_(std::max<std::size_t>(key_width, 3)) {
        for (const auto& n : names_) quoted_.push_back(json_string(n));
    }

    void header() {
        if (format_ == "csv") {
            std::string line = "key,file,start_s";
            for (const auto& n : names_) line += "," + csv_field(n);
            put(line + "\n");
        } else if (format_ == "table") {
            std::string line = pad("key", key_width_) + "  " + pad_left("start", 7);
            for (const auto& n : names_) line += "  " + pad_left(n, width(n));
            put(line + "  file\n");
        }
    }

    void row(const std::string& key, const std::string& file, double start, const float* r) {
        std::string line;
        if (format_ == "csv") {
            line = csv_field(key) + "," + csv_field(file) + "," + start_text(start);
            for (std::size_t k = 0; k < names_.size(); ++k) line += "," + number_text(r[k]);
        } else if (format_ == "jsonl") {
            line = "{\"key\": " + json_string(key) + ", \"file\": " + json_string(file) +
                   ", \"start_s\": " + start_text(start) + ", \"relevance\": {";
            for (std::size_t k = 0; k < names_.size(); ++k)
                line += (k ? ", " : "") + quoted_[k] + ": " + json_number_text(r[k]);
            line += "}}";
        } else {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%7.1f", start);
            line = pad(key, key_width_) + "  " + buf;
            for (std::size_t k = 0; k < names_.size(); ++k) {
                std::snprintf(buf, sizeof buf, "%.3f", double(r[k]));
                line += "  " + pad_left(buf, width(names_[k]));
            }
            line += "  " + file;
        }
        put(line + "\n");
    }

    void flush() {
        if (std::fflush(out_) != 0) throw polytag::IoError("cannot write the output");
    }

private:
    static std::size_t width(const std::string& name) { return std::max<std::size_t>(name.size(), 5); }
    static std::string pad(const std::string& s, std::size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }
    static std::string pad_left(const std::string& s, std::size_t w) {
        return s.size() >= w ? s : std::string(w - s.size(), ' ') + s;
    }
    void put(const std::string& s) {
        if (std::fwrite(s.data(), 1, s.size(), out_) != s.size()) throw polytag::IoError("cannot write the output");
    }

    std::FILE* out_;
    std::string format_;
    std::vector<std::string> names_, quoted_;
    std::size_t key_width_;
};

int run(int argc, char** argv) {
    CLI::App app{"Tag audio files: the 20 OpenMIC instrument relevances of every 10-s clip.", kTool};
    std::vector<std::string> inputs;
    std::string vggish_path, model_path, format = "table", out_path, shard_text = "0/1", files_from;
    int threads = 1;
    bool strict = false, quiet = false;
    app.add_option("AUDIO", inputs, "audio files (WAV, FLAC, Ogg/Vorbis, MP3, ...)");
    app.add_option("--files-from", files_from, "also read file paths from this list, one per line ('-': stdin)");
    app.add_option("--vggish", vggish_path, "VGGish weights and PCA (.npz from examples/convert_vggish.py) (required)");
    app.add_option("--model", model_path, "model file written by polytag-train (required)");
    app.add_option("--format", format, "table (aligned, 3 decimals) | csv | jsonl (JSON Lines)")
        ->capture_default_str()
        ->check(CLI::IsMember({"table", "csv", "jsonl"}));
    app.add_option("--out", out_path, "write to this file (atomically) instead of stdout; {shard} in it becomes K of --shard");
    app.add_option("--threads", threads, "files processed at once (each on one core)")
        ->capture_default_str()
        ->check(CLI::Range(1, 1024));
    app.add_option("--shard", shard_text, "K/N: only files K, K+N, ... of the list (0-based); auto: from mpirun or a Slurm array")
        ->capture_default_str();
    app.add_flag("--strict", strict, "stop at the first file that cannot be read");
    app.add_flag("--quiet", quiet, "no progress bar");
    if (int rc = cli::parse(app, argc, argv); rc >= 0) return rc;

    if (vggish_path.empty()) throw cli::UsageError("--vggish is required");
    if (model_path.empty()) throw cli::UsageError("--model is required");
    std::vector<std::string> files = inputs;
    if (!files_from.empty())
        for (auto& f : cli::read_file_list(files_from)) files.push_back(std::move(f));
    if (files.empty()) throw cli::UsageError("no audio files given (AUDIO... or --files-from)");
    cli::check_audio_arguments(files);
    const cli::Shard shard = cli::parse_shard(shard_text);
    out_path = cli::shard_path(out_path, shard);
    if (!out_path.empty()) cli::check_output_path(out_path, "--out");
    po::install_sigint_handler();
    polytag::set_num_threads(1);

    const po::RelevanceModel model = po::RelevanceModel::load(model_path);
    const polytag::audio::Vggish vggish = polytag::audio::Vggish::load(vggish_path);
    if (model.frames() != cli::kClipPatches || model.features() != vggish.embedding_size())
        throw polytag::IoError(model_path + ": the model reads clips of " + std::to_string(model.frames()) + "x" +
                               std::to_string(model.features()) + " bytes, " + vggish_path + " makes clips of " +
                               std::to_string(cli::kClipPatches) + "x" + std::to_string(vggish.embedding_size()));
    const std::vector<std::string> names(model.class_names().begin(), model.class_names().end());

    std::vector<std::size_t> mine;
    std::size_t key_width = 0;
    for (std::size_t i = 0; i < files.size(); ++i)
        if (shard.mine(i)) {
            mine.push_back(i);
            key_width = std::max(key_width, std::filesystem::path(files[i]).stem().string().size() + 7);
        }
    std::vector<std::unique_ptr<cli::AudioWorker>> workers;
    for (int t = 0; t < threads; ++t) workers.push_back(std::make_unique<cli::AudioWorker>(cli::AudioStage::Clips, &vggish));

    std::optional<polytag::io::AtomicFile> file;
    if (!out_path.empty()) file.emplace(out_path);
    Printer printer(file ? file->file() : stdout, format, names, key_width);
    printer.header();
    // No bar when the rows themselves go to the terminal.
    cli::AudioProgress progress(mine.size(), quiet || (!file && ::isatty(::fileno(stdout))), "clips");
    std::size_t failed = 0, processed = 0;
    polytag::Index clips = 0;
    bool stopped_strict = false;
    cli::run_in_order<Tagged>(
        mine.size(), threads,
        [&](int t, std::size_t i) {
            Tagged r;
            r.rows = workers[std::size_t(t)]->process(files[mine[i]]);
            if (r.rows.error.empty() && r.rows.rows() > 0) {
                try {  // a worker must not throw (run_in_order)
                    r.relevance = model.predict(polytag::TensorView<const std::uint8_t>(
                        r.rows.data.data(), polytag::Shape{r.rows.rows(), model.frames(), model.features()}));
                } catch (const std::exception& e) {
                    r.rows.error = files[mine[i]] + ": " + cli::one_line(e.what());
                }
            }
            return r;
        },
        [&](std::size_t i, Tagged r) {
            if (r.rows.interrupted || po::stop_requested()) return false;
            const std::string& path = files[mine[i]];
            ++processed;
            if (!r.rows.error.empty()) {
                ++failed;
                printer.flush();
                progress.line(std::string(kTool) + ": error: " + r.rows.error + (strict ? "" : " (skipped)"));
                if (strict) {
                    stopped_strict = true;
                    return false;
                }
            } else {
                if (r.rows.rows() == 0)
                    progress.line(std::string(kTool) + ": warning: " + path + ": shorter than 1 s: no clip");
                for (polytag::Index k = 0; k < r.rows.rows(); ++k)
                    printer.row(cli::sample_key(path, r.rows.start_ms[std::size_t(k)]), path, r.rows.start_s[std::size_t(k)],
                                r.relevance.data() + k * polytag::Index(names.size()));
                clips += r.rows.rows();
                if (!file) printer.flush();
            }
            progress.update(processed, clips, failed, processed == mine.size());
            return true;
        });
    progress.finish();
    if (po::stop_requested()) {
        std::fprintf(stderr, "%s: interrupted%s\n", kTool, file ? "; nothing written" : "");
        return cli::kExitInterrupted;
    }
    if (stopped_strict) {
        if (file) std::fprintf(stderr, "%s: --strict: stopped at the first bad file; nothing written\n", kTool);
        return cli::kExitBadInput;
    }
    if (file) file->commit();
    else printer.flush();
    if (failed) {
        std::fprintf(stderr, "%s: error: %zu of %zu files could not be read (skipped); tagged %lld clips of the others\n",
                     kTool, failed, mine.size(), static_cast<long long>(clips));
        return cli::kExitBadInput;
    }
    return cli::kExitOk;
}

}  // namespace

int main(int argc, char** argv) { return cli::guarded(kTool, [&] { return run(argc, argv); }); }
