// Builds against the *installed* package, trains the OpenMIC model briefly on the built-in
// synthetic set, round-trips it through a model file and an npz, and predicts, also through the
// compiled openmic::Predictor (polytag::predictor).
#include <polytag/io.hpp>
#include <polytag/openmic.hpp>
#include <polytag/openmic/predictor.hpp>

#include <cstdio>
#include <filesystem>

int main() {
    using namespace polytag;
    const openmic::Dataset data = openmic::make_synthetic(400, 3);
    openmic::TrainConfig train;
    train.epochs = 2;
    openmic::RelevanceModel model;
    openmic::train(model, data, train);

    const auto dir = std::filesystem::temp_directory_path() / "polytag-consumer";
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "model.npz").string();
    model.save(path);
    const auto loaded = openmic::RelevanceModel::load(path);

    const Tensor<float> a = model.predict(data.features());
    const Tensor<float> b = loaded.predict(data.features());
    bool same = a.shape() == b.shape() && a.vector() == b.vector();
    const auto served = openmic::Predictor::load(path);
    std::vector<float> c(std::size_t(a.size()));
    served.predict(data.features(), c);
    for (std::size_t i = 0; i < c.size(); ++i) same = same && c[i] == a[Index(i)];

    io::save_npz((dir / "scores.npz").string(), {io::NpzEntry("scores", a.view())});
    const Tensor<float> back = io::NpzReader((dir / "scores.npz").string()).read<float>("scores");

    std::printf("polytag %s consumer: %s scores, reload %s, npz %s\n", POLYTAG_VERSION_STRING, a.shape().str().c_str(),
                same ? "identical" : "DIFFERENT", back.vector() == a.vector() ? "identical" : "DIFFERENT");
    std::filesystem::remove_all(dir);
    return same && back.vector() == a.vector() ? 0 : 1;
}
