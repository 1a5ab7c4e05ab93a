// The engine alone, from an installed polytag: a two-layer network learns y = 2x - 1.
#include <polytag/polytag.hpp>

#include <cstdio>

int main() {
    using namespace polytag;
    Sequential net(Shape{1}, Dense<float>(1, 8), Tanh<float>(), Dense<float>(8, 1));
    Rng rng(3);
    net.init(rng);
    Adam<float> opt(net.parameters(), AdamOptions<float>{0.05f});
    MaskedMse<float> loss;
    Tensor<float> x(Shape{16, 1}), y(Shape{16, 1}), mask(Shape{16, 1});
    for (Index i = 0; i < 16; ++i) x[i] = float(i) / 8 - 1, y[i] = 2 * x[i] - 1, mask[i] = 1;
    float first = 0, last = 0;
    for (int step = 0; step < 300; ++step) {
        last = loss.forward(net.forward(x, Mode::Train), y, mask);
        if (step == 0) first = last;
        net.backward(loss.backward(), false);
        opt.step();
    }
    std::printf("polytag %s core consumer: loss %.4f -> %.5f\n", POLYTAG_VERSION_STRING, first, last);
    return last < 0.01f * first ? 0 : 1;
}
