// Writes tests/data/openmic/model-v0.1-{attention,mean,max}.npz and model-v0.1-reference.npz
// with the model code of polytag 0.1 (commit f1ecabd, before RelevanceNet was rebuilt from the
// generic network parts): tests/openmic/test_model_compat.cpp checks that these files still
// load and predict bitwise the same relevances. Built once by hand, kept for the record:
//   g++ -std=c++17 -O2 -I include -I /usr/include/eigen3 tests/data/openmic/make_model_v0_1.cpp \
//       -lzip -lopenblas -o /tmp/make_model_v0_1 && /tmp/make_model_v0_1 tests/data/openmic
#include <cstdio>
#include <string>

#include "polytag/io/npz.hpp"
#include "polytag/openmic/relevance_model.hpp"

using namespace polytag;
using namespace polytag::openmic;

int main(int argc, char** argv) {
    const std::string dir = argc > 1 ? argv[1] : ".";
    Rng data_rng(2024);
    Tensor<std::uint8_t> x(Shape{8, 10, 128});
    for (auto& v : x) v = std::uint8_t(data_rng.below(256));
    std::vector<io::NpzEntry> ref;
    ref.emplace_back("X", x);
    std::vector<Tensor<float>> preds;
    preds.reserve(3);
    struct Variant {
        const char* name;
        ModelConfig config;
    };
    ModelConfig a;
    a.trunk = {32, 16};
    a.head = {8};
    a.pool = PoolKind::Attention;
    a.activation = ActivationKind::LeakyRelu;
    a.dropout = 0.1;
    ModelConfig b;
    b.trunk = {24};
    b.pool = PoolKind::Mean;
    b.activation = ActivationKind::Gelu;
    ModelConfig c;
    c.trunk = {16};
    c.head = {4, 3};
    c.pool = PoolKind::Max;
    c.activation = ActivationKind::Tanh;
    c.input_dropout = 0.2;
    for (const Variant& v : {Variant{"attention", a}, Variant{"mean", b}, Variant{"max", c}}) {
        RelevanceModel m(v.config, 7);
        Rng rng(11);
        for (auto& p : m.net().parameters())
            for (auto& w : p.value) w += float(rng.uniform(-0.2, 0.2));
        Normalizer n = Normalizer::identity(128);
        for (std::size_t j = 0; j < 128; ++j) n.mean[j] = 110.0f + float(j % 13), n.std[j] = 60.0f + float(j % 7);
        m.set_normalizer(n);
        m.save(dir + "/model-v0.1-" + v.name + ".npz", R"({"note": "fixture written by polytag 0.1"})");
        preds.push_back(m.predict(x));
        ref.emplace_back(std::string("pred_") + v.name, preds.back());
    }
    io::save_npz(dir + "/model-v0.1-reference.npz", ref);
    std::printf("wrote %s/model-v0.1-*.npz\n", dir.c_str());
}
