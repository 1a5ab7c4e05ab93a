#pragma once
// Both configurations: ModelConfig (the architecture, model_config.hpp) and TrainConfig (how it
// is trained, train_config.hpp). Include the one you need; this header is kept for existing code.
#include "polytag/openmic/model_config.hpp"
#include "polytag/openmic/train_config.hpp"
