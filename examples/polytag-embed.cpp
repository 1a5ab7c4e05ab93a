// polytag-embed: audio files -> an .npz of OpenMIC-2018 clips that polytag-predict and
// polytag-rank read as they read the release.
//
//   polytag-embed song.mp3 live/*.flac --vggish vggish.npz --out clips.npz
//   polytag-embed --files-from catalogue.txt --vggish vggish.npz --out part3.npz --shard 3/8 --threads 2
//   polytag-embed AUDIO... --stage logmel --out patches.npz      # log-mel patches, no weights
//   polytag-embed --merge part*.npz --out clips.npz              # shard outputs -> one table
//
// The .npz (tool/audio_npz.hpp): X uint8 (N, 10, 128) (or log_mel float32 (N, 96, 64)),
// sample_key "<file stem>_<start ms>", source, start_s, file_index; rows in argument order,
// then time. Clips and padding: tool/audio_pipeline.hpp, docs/audio.md "Tools".
//
// A file that cannot be read is reported (one line naming it) and skipped; the others are
// written and the exit status is 1. --strict stops at the first such file and writes
// nothing. Exit status: 0 ok, 1 a bad audio, VGGish or table file, 2 bad arguments, 130
// interrupted (nothing written) (tool/tool_cli.hpp).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "polytag/audio/vggish.hpp"
#include "polytag/tensor/threads.hpp"
#include "tool/audio_npz.hpp"
#include "tool/audio_pipeline.hpp"
#include "tool/audio_shard.hpp"
#include "tool/cli_support.hpp"
#include "tool/output_path.hpp"
#include "tool/stop_signal.hpp"
#include "tool/tool_cli.hpp"

namespace po = polytag::openmic;
namespace cli = polytag::openmic::cli;

namespace {

constexpr const char* kTool = "polytag-embed";

std::string seconds_text(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", s);
    return buf;
}

int merge(const std::vector<std::string>& inputs, const std::string& out_path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    for (const auto& in : inputs)
        if (fs::weakly_canonical(in, ec) == fs::weakly_canonical(out_path, ec))
            throw cli::UsageError("--out " + out_path + " is also an input of --merge");
    const polytag::Index rows = cli::merge_tables(inputs, out_path);
    std::printf("merged %lld rows of %zu tables into %s\n", static_cast<long long>(rows), inputs.size(),
                out_path.c_str());
    return cli::kExitOk;
}

int run(int argc, char** argv) {
    CLI::App app{"Compute OpenMIC-2018 VGGish clips (X uint8 (N, 10, 128), sample_key, source, start_s) from "
                 "audio files, for polytag-predict and polytag-rank; or merge shard outputs.",
                 kTool};
    std::vector<std::string> inputs;
    std::string vggish_path, out_path, stage = "clips", shard_text = "0/1", files_from;
    int threads = 1;
    bool strict = false, quiet = false, do_merge = false;
    app.add_option("AUDIO", inputs, "audio files (WAV, FLAC, Ogg/Vorbis, MP3, ...); with --merge: the tables to merge");
    app.add_option("--files-from", files_from, "also read file paths from this list, one per line ('-': stdin)");
    app.add_option("--vggish", vggish_path, "VGGish weights and PCA (.npz from examples/convert_vggish.py)");
    app.add_option("--out", out_path, "the .npz to write (atomically); {shard} in it becomes K of --shard (required)");
    app.add_option("--stage", stage,
                   "clips: VGGish bytes per 10-s clip (X); logmel: every complete 0.96-s log-mel patch (log_mel), "
                   "no weights needed")
        ->capture_default_str()
        ->check(CLI::IsMember({"clips", "logmel"}));
    app.add_option("--threads", threads, "files processed at once (each on one core)")
        ->capture_default_str()
        ->check(CLI::Range(1, 1024));
    app.add_option("--shard", shard_text,
                   "K/N: only files K, K+N, K+2N, ... of the list (0-based); auto: K and N from mpirun "
                   "(OMPI_COMM_WORLD_RANK/SIZE) or a Slurm array (SLURM_ARRAY_TASK_*)")
        ->capture_default_str();
    app.add_flag("--strict", strict, "stop at the first file that cannot be read, writing nothing");
    app.add_flag("--quiet", quiet, "no progress bar and no summary line");
    app.add_flag("--merge", do_merge,
                 "merge the tables given as AUDIO (outputs of the shards of one run) into --out, rows in the "
                 "order one process would have written them");
    if (int rc = cli::parse(app, argc, argv); rc >= 0) return rc;

    if (out_path.empty()) throw cli::UsageError("--out is required");
    if (do_merge) {
        for (const char* opt : {"--vggish", "--stage", "--shard", "--files-from", "--threads", "--strict"})
            if (app.count(opt)) throw cli::UsageError(std::string("--merge takes no ") + opt);
        if (inputs.empty()) throw cli::UsageError("--merge: give the tables to merge");
        cli::check_output_path(out_path, "--out");
        return merge(inputs, out_path);
    }

    std::vector<std::string> files = inputs;
    if (!files_from.empty())
        for (auto& f : cli::read_file_list(files_from)) files.push_back(std::move(f));
    if (files.empty()) throw cli::UsageError("no audio files given (AUDIO... or --files-from)");
    cli::check_audio_arguments(files);
    const cli::AudioStage st = stage == "logmel" ? cli::AudioStage::LogMel : cli::AudioStage::Clips;
    if (st == cli::AudioStage::Clips && vggish_path.empty())
        throw cli::UsageError("--vggish is required for clips (the VGGish weights; --stage logmel needs none)");
    if (st == cli::AudioStage::LogMel && !vggish_path.empty())
        throw cli::UsageError("--stage logmel computes no embeddings: drop --vggish");
    const cli::Shard shard = cli::parse_shard(shard_text);
    out_path = cli::shard_path(out_path, shard);
    cli::check_output_path(out_path, "--out");
    po::install_sigint_handler();
    polytag::set_num_threads(1);  // parallel over files, not within products

    std::unique_ptr<polytag::audio::Vggish> vggish;
    if (st == cli::AudioStage::Clips)
        vggish = std::make_unique<polytag::audio::Vggish>(polytag::audio::Vggish::load(vggish_path));
    const cli::TableLayout layout =
        st == cli::AudioStage::LogMel ? cli::log_mel_layout() : cli::clip_layout(10, vggish->embedding_size());

    std::vector<std::size_t> mine;
    for (std::size_t i = 0; i < files.size(); ++i)
        if (shard.mine(i)) mine.push_back(i);
    std::vector<std::unique_ptr<cli::AudioWorker>> workers;
    for (int t = 0; t < threads; ++t) workers.push_back(std::make_unique<cli::AudioWorker>(st, vggish.get()));

    cli::TableWriter writer(out_path, layout);
    cli::AudioProgress progress(mine.size(), quiet, st == cli::AudioStage::LogMel ? "patches" : "clips");
    std::size_t failed = 0, processed = 0;
    bool stopped_strict = false;
    const std::size_t row_bytes = layout.row_bytes();
    cli::run_in_order<cli::FileRows>(
        mine.size(), threads, [&](int t, std::size_t i) { return workers[std::size_t(t)]->process(files[mine[i]]); },
        [&](std::size_t i, cli::FileRows r) {
            if (r.interrupted || po::stop_requested()) return false;
            const std::string& path = files[mine[i]];
            ++processed;
            if (!r.error.empty()) {
                ++failed;
                progress.line(std::string(kTool) + ": error: " + r.error + (strict ? "" : " (skipped)"));
                if (strict) {
                    stopped_strict = true;
                    return false;
                }
            } else {
                if (r.rows() == 0)
                    progress.line(std::string(kTool) + ": warning: " + path + ": " + seconds_text(r.seconds) +
                                  " s of audio, shorter than " +
                                  (st == cli::AudioStage::LogMel ? "one 0.96-s patch" : "1 s") + ": nothing from it");
                for (polytag::Index k = 0; k < r.rows(); ++k)
                    writer.add(r.data.data() + std::size_t(k) * row_bytes, cli::sample_key(path, r.start_ms[std::size_t(k)]),
                               path, r.start_s[std::size_t(k)], std::int64_t(mine[i]));
            }
            progress.update(processed, writer.rows(), failed, processed == mine.size());
            return true;
        });
    progress.finish();
    if (po::stop_requested()) {
        std::fprintf(stderr, "%s: interrupted; nothing written\n", kTool);
        return cli::kExitInterrupted;
    }
    if (stopped_strict) {
        std::fprintf(stderr, "%s: --strict: stopped at the first bad file; nothing written\n", kTool);
        return cli::kExitBadInput;
    }
    writer.commit();
    const char* noun = st == cli::AudioStage::LogMel ? "patches" : "clips";
    if (failed) {
        std::fprintf(stderr, "%s: error: %zu of %zu files could not be read (skipped); wrote %lld %s of the others to %s\n",
                     kTool, failed, mine.size(), static_cast<long long>(writer.rows()), noun, out_path.c_str());
        return cli::kExitBadInput;
    }
    if (!quiet)
        std::printf("wrote %lld %s of %zu file%s to %s%s\n", static_cast<long long>(writer.rows()),
                    writer.rows() == 1 ? (st == cli::AudioStage::LogMel ? "patch" : "clip") : noun, mine.size(),
                    mine.size() == 1 ? "" : "s", out_path.c_str(),
                    shard.count > 1 ? (" (shard " + shard.str() + ")").c_str() : "");
    return cli::kExitOk;
}

}  // namespace

int main(int argc, char** argv) { return cli::guarded(kTool, [&] { return run(argc, argv); }); }
