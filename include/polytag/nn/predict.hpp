#pragma once
// predict(): a network's outputs for a batch of any size, in Mode::Eval, a chunk of rows per
// forward call, copied into one output tensor:
//
//   Tensor<float> scores;
//   predict(net, clips, scores);              // clips (N, 10, 128) -> scores (N, outputs...)
//   predict(graph, {frames, extra}, scores);  // a Network<T> with several inputs
//
// Why chunks: one forward over a 1024-clip batch makes every activation 1024 rows tall (10 MB
// for 10 frames x 256 floats per clip), and each layer then streams it through the caches;
// 64 rows at a time stay in L2, which made the OpenMIC model's batch-1024 inference 1.8-1.9x
// faster (docs/speed.md). The layers' buffers also grow only to one chunk, so memory does not
// scale with N. The result equals net.forward on the whole batch up to the products' rounding
// (a GEMM may sum in another order at another row count).
//
// The network: anything with forward(TensorView<const T>, Mode) (a layer, Sequential, AnyLayer)
// or a Network<T> (forward(std::vector<TensorView<const T>>, Mode)). Rows must not depend on
// each other in Eval mode: true of every polytag layer; a user layer with batch statistics
// would give other results here than in one call. `out` must not share storage with the inputs
// (it is resized). Once `out` and the layers' buffers have held a call this large, nothing
// allocates, except the list of chunk views a multi-input call builds.
#include <algorithm>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "polytag/error.hpp"
#include "polytag/nn/layer.hpp"
#include "polytag/tensor/tensor.hpp"

namespace polytag {

/// Rows per forward call of predict() by default: the OpenMIC model's widest activation at 64
/// clips is 655 KB, inside a 1-2 MB L2. 32 measured like 64, 128 about 15 % slower, one call
/// over 1024 clips half as fast (docs/speed.md, "Inference in chunks").
inline constexpr Index kDefaultPredictChunk = 64;

namespace detail {

template <typename Net, typename T, typename = void>
struct HasViewListForward : std::false_type {};
template <typename Net, typename T>
struct HasViewListForward<
    Net, T, std::void_t<decltype(std::declval<Net&>().forward(std::declval<const std::vector<TensorView<const T>>&>(), Mode::Eval))>>
    : std::true_type {};

template <typename Net, typename T>
void predict_chunks(Net& net, const TensorView<const T>* xs, std::size_t count, Tensor<T>& out, Index chunk) {
    if (chunk < 1) throw ValueError("polytag::predict: chunk " + std::to_string(chunk) + " is not a positive row count");
    if (count == 0) throw ShapeError("polytag::predict: no inputs given");
    for (std::size_t i = 0; i < count; ++i) {
        if (xs[i].rank() < 1)
            throw ShapeError("polytag::predict: input " + std::to_string(i) + " is a scalar, not a batch");
        if (xs[i].dim(0) != xs[0].dim(0))
            throw ShapeError("polytag::predict: input " + std::to_string(i) + " " + xs[i].shape().str() + " has " +
                             std::to_string(xs[i].dim(0)) + " rows, input 0 has " + std::to_string(xs[0].dim(0)));
        if (out.size() > 0 && xs[i].size() > 0 && out.data() < xs[i].data() + xs[i].size() &&
            xs[i].data() < out.data() + out.size())
            throw ValueError("polytag::predict: the output tensor shares storage with input " + std::to_string(i));
    }
    const Index n = xs[0].dim(0);
    std::vector<TensorView<const T>> parts;  // only a multi-input network takes a list
    if constexpr (HasViewListForward<Net, T>::value) parts.resize(count);
    else if (count != 1)
        throw ShapeError("polytag::predict: given " + std::to_string(count) + " inputs, the network takes one");
    Index begin = 0, width = 0;
    do {  // at least once: an empty batch still gives the (0, outputs...) shape
        const Index rows = std::min(chunk, n - begin);
        TensorView<const T> y;
        if constexpr (HasViewListForward<Net, T>::value) {
            for (std::size_t i = 0; i < count; ++i) parts[i] = xs[i].rows(begin, begin + rows);
            y = net.forward(parts, Mode::Eval);
        } else {
            y = net.forward(xs[0].rows(begin, begin + rows), Mode::Eval);
        }
        if (y.rank() < 1 || y.dim(0) != rows)
            throw ShapeError("polytag::predict: the network returned " + y.shape().str() + " for a chunk of " +
                             std::to_string(rows) + " rows");
        if (begin == 0) {
            out.resize(y.shape().with_dim(0, n));
            width = y.shape().drop_front().size();
        } else if (y.shape().drop_front() != out.shape().drop_front()) {
            throw ShapeError("polytag::predict: the network returned " + y.shape().str() + " for rows " +
                             std::to_string(begin) + ".., " + out.shape().drop_front().str() + " per row before");
        }
        std::copy(y.begin(), y.end(), out.data() + begin * width);
        begin += rows;
    } while (begin < n);
}

}  // namespace detail

/// out = the network's outputs for every row of x, `chunk` rows per forward call (Mode::Eval).
template <typename Net>
void predict(Net& net, TensorView<const typename Net::Scalar> x, Tensor<typename Net::Scalar>& out,
             Index chunk = kDefaultPredictChunk) {
    detail::predict_chunks(net, &x, 1, out, chunk);
}

/// The same for a network of several inputs (Network<T>), given in its declaration order; all
/// have the same number of rows.
template <typename Net>
void predict(Net& net, const std::vector<TensorView<const typename Net::Scalar>>& xs, Tensor<typename Net::Scalar>& out,
             Index chunk = kDefaultPredictChunk) {
    detail::predict_chunks(net, xs.data(), xs.size(), out, chunk);
}

}  // namespace polytag
