#pragma once
// The whole library in one include.
#include "polytag/version.hpp"
#include "polytag/error.hpp"

#include "polytag/tensor/shape.hpp"
#include "polytag/tensor/tensor.hpp"
#include "polytag/tensor/kernels.hpp"
#include "polytag/tensor/random.hpp"
#include "polytag/tensor/threads.hpp"

#include "polytag/nn/layer.hpp"
#include "polytag/nn/dense.hpp"
#include "polytag/nn/sequential.hpp"
