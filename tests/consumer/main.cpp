// Builds against the installed package and trains a two-layer net for a few steps.
#include <polytag/polytag.hpp>

#include <cstdio>

int main() {
    using namespace polytag;
    Sequential net(Shape{4}, Dense<float>(4, 8), Dense<float>(8, 1));
    Rng rng(1);
    net.init(rng);
    Tensor<float> x(Shape{16, 4});
    for (auto& v : x) v = float(rng.uniform());
    auto y = net.forward(x, Mode::Eval);
    std::printf("polytag %s consumer: output %s, y[0] = %g\n", POLYTAG_VERSION_STRING, y.shape().str().c_str(),
                double(y[0]));
    return y.shape() == Shape{16, 1} ? 0 : 1;
}
