// Embedding the OpenMIC instrument model in your own program: load once, predict anywhere
// (predict is const and thread-safe). Usage: embed model.npz [clips.npz]
#include <cstdint>
#include <cstdio>
#include <vector>

#include "polytag/io/npz.hpp"
#include "polytag/model/relevance_model.hpp"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: embed model.npz [clips.npz with X (N, 10, 128) uint8]\n");
        return 2;
    }
    auto m = polytag::openmic::RelevanceModel::load(argv[1]);

    std::vector<std::uint8_t> clip(10 * 128, 128);  // one clip: 10 VGGish frames x 128 bytes
    if (argc > 2) {
        const auto x = polytag::io::NpzReader(argv[2]).read<std::uint8_t>("X");
        std::copy(x.data(), x.data() + clip.size(), clip.begin());
    }
    const std::array<float, 20> relevance = m.predict(clip.data());
    for (std::size_t k = 0; k < relevance.size(); ++k)
        std::printf("%-18s %.3f\n", m.class_names()[k].c_str(), relevance[k]);
    return 0;
}
