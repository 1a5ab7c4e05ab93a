// The tools' Ctrl-C flag (examples/tool/stop_signal.hpp) stops training when handed to train().
#include <catch2/catch.hpp>

#include "polytag/openmic/synthetic.hpp"
#include "polytag/openmic/trainer.hpp"
#include "tool/stop_signal.hpp"

using namespace polytag::openmic;

TEST_CASE("The tools' stop flag stops the training run it is given to", "[tools][stop]") {
    clear_stop();
    CHECK_FALSE(stop_requested());
    request_stop();
    CHECK(stop_requested());
    ModelConfig mc;
    mc.trunk = {16};
    mc.head = {};
    RelevanceModel m(mc, 1);
    TrainConfig tc;
    tc.epochs = 3;
    TrainHooks hooks;
    hooks.stop = &stop_flag();
    const TrainingHistory h = train(m, make_synthetic(300, 1), tc, hooks);
    CHECK(h.interrupted);
    CHECK(h.epochs.size() == 1);  // stopped after the first batch
    clear_stop();
    CHECK_FALSE(stop_requested());
}
