#pragma once
// The engine (polytag::core) in one include: tensors, layers, runtime networks, losses,
// optimisers, the training loop and k-fold splits, generic metrics, Eigen interop. The other
// components have one include each: <polytag/io.hpp> (.npy/.npz; network files in
// io/network_file.hpp), <polytag/openmic.hpp> (the OpenMIC-2018 application),
// <polytag/audio.hpp> (audio and VGGish). interop/xtensor.hpp is separate: polytag does not depend on xtensor.
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
#include "polytag/nn/padding.hpp"
#include "polytag/nn/conv2d.hpp"
#include "polytag/nn/max_pool2d.hpp"
#include "polytag/nn/flatten.hpp"
#include "polytag/nn/quantized_dense.hpp"
#include "polytag/nn/sequential.hpp"
#include "polytag/nn/concat.hpp"
#include "polytag/nn/add.hpp"
#include "polytag/nn/any_layer.hpp"
#include "polytag/nn/network.hpp"
#include "polytag/nn/predict.hpp"
#include "polytag/nn/layer_registry.hpp"

#include "polytag/loss/masked_mse.hpp"
#include "polytag/loss/masked_bce.hpp"

#include "polytag/optim/adam.hpp"
#include "polytag/optim/adamw.hpp"
#include "polytag/optim/sgd.hpp"
#include "polytag/optim/clip.hpp"
#include "polytag/optim/schedule.hpp"
#include "polytag/optim/optimizer_state.hpp"
#include "polytag/optim/any_optimizer.hpp"

#include "polytag/train/batch_source.hpp"
#include "polytag/train/early_stopping.hpp"
#include "polytag/train/fit.hpp"
#include "polytag/train/kfold.hpp"

#include "polytag/interop/eigen.hpp"

#include "polytag/metrics/binary.hpp"
#include "polytag/metrics/ranking.hpp"
#include "polytag/metrics/threshold.hpp"
