// Embedding the OpenMIC instrument model in your own program: load once, predict anywhere
// (predict is const and thread-safe). Usage: embed model.npz [clips.npz holding X (N, 10, 128) uint8]
//
// What to copy besides the two calls: check the clips' shape against the model before
// predicting (a wrong width would otherwise be read across clip boundaries), and catch
// polytag::Error, which names the file and what is wrong with it.
//
// Build: link polytag::predictor (the model compiled once; this file then compiles in seconds)
// and polytag::io for the npz reader.
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "polytag/io/npz.hpp"
#include "polytag/openmic/predictor.hpp"

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: embed model.npz [clips.npz holding X (N, 10, 128) uint8]\n");
        return 2;
    }
    try {
        const auto model = polytag::openmic::Predictor::load(argv[1]);
        // Without clips.npz: one neutral clip (every byte 128, the middle of the VGGish range).
        std::vector<std::uint8_t> clips(model.clip_size(), 128);
        if (argc == 3) {
            const auto x = polytag::io::NpzReader(argv[2]).read<std::uint8_t>("X");
            const polytag::Shape want{x.rank() > 0 ? x.dim(0) : 0, polytag::Index(model.frames()),
                                      polytag::Index(model.features())};
            if (x.shape() != want)
                throw polytag::ShapeError(std::string(argv[2]) + ": X is " + x.shape().str() + ", the model needs (N, " +
                                          std::to_string(model.frames()) + ", " + std::to_string(model.features()) + ")");
            clips.assign(x.data(), x.data() + x.size());
        }
        std::vector<float> relevance(clips.size() / model.clip_size() * model.classes());
        model.predict(clips, relevance);
        // The first clip's relevances, one instrument per line.
        for (std::size_t k = 0; k < model.classes() && k < relevance.size(); ++k)
            std::printf("%-18s %.3f\n", model.class_names()[k].c_str(), relevance[k]);
        return 0;
    } catch (const polytag::Error& e) {  // every refusal of a file: one line, exit 1
        std::fprintf(stderr, "embed: error: %s\n", e.what());
        return 1;
    } catch (const std::exception& e) {  // e.g. std::bad_alloc: still a message, not an abort
        std::fprintf(stderr, "embed: error: %s\n", e.what());
        return 1;
    }
}
