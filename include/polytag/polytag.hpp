#pragma once
// The whole library in one include. (interop/xtensor.hpp is separate: polytag does not
// depend on xtensor, include it yourself when you have it.)
#include "polytag/version.hpp"
#include "polytag/error.hpp"

#include "polytag/tensor/shape.hpp"
#include "polytag/tensor/tensor.hpp"
#include "polytag/tensor/kernels.hpp"
#include "polytag/tensor/random.hpp"
#include "polytag/tensor/threads.hpp"

#include "polytag/nn/layer.hpp"
#include "polytag/nn/dense.hpp"
#include "polytag/nn/activation.hpp"
#include "polytag/nn/dropout.hpp"
#include "polytag/nn/layer_norm.hpp"
#include "polytag/nn/pooling.hpp"
#include "polytag/nn/attention_pool.hpp"
#include "polytag/nn/multi_head.hpp"
#include "polytag/nn/sequential.hpp"

#include "polytag/loss/masked_mse.hpp"
#include "polytag/loss/masked_bce.hpp"

#include "polytag/optim/adam.hpp"
#include "polytag/optim/adamw.hpp"
#include "polytag/optim/sgd.hpp"
#include "polytag/optim/clip.hpp"
#include "polytag/optim/schedule.hpp"
#include "polytag/optim/optimizer_state.hpp"

#include "polytag/interop/eigen.hpp"

#include "polytag/io/npy.hpp"
#include "polytag/io/npz.hpp"
#include "polytag/io/atomic_file.hpp"

#include "polytag/data/dataset.hpp"
#include "polytag/data/group_split.hpp"
#include "polytag/data/normalizer.hpp"
#include "polytag/data/batch.hpp"
#include "polytag/data/synthetic.hpp"

#include "polytag/metrics/evaluation.hpp"

#include "polytag/model/relevance_model.hpp"
#include "polytag/model/trainer.hpp"
