#pragma once
// Window geometry shared by the 2-d layers (Conv2d, MaxPool2d), with TensorFlow's padding rules:
//   Padding::Valid  no padding: out = (in - k) / s + 1, the window must fit (in >= k).
//   Padding::Same   out = ceil(in / s); pad_total = max((out - 1) * s + k - in, 0), of which the
//                   smaller half, pad_total / 2, goes before (top / left) and the rest after.
// With Same, pad_total < k, so every window holds at least one real input element.
#include <string>

#include "polytag/tensor/shape.hpp"

namespace polytag {

enum class Padding { Same, Valid };

/// Height and width of a kernel, a stride or a window, e.g. {3, 3}.
struct Size2d {
    Index h = 1;
    Index w = 1;
    std::string str() const { return std::to_string(h) + "x" + std::to_string(w); }
};

inline const char* padding_name(Padding p) { return p == Padding::Same ? "SAME" : "VALID"; }

namespace detail {

/// One spatial axis of a windowed layer: output extent and the padding before the first element.
struct WindowAxis {
    Index out = 0;
    Index pad_before = 0;
};

/// Output extent and leading pad along an axis of `in` elements; out == 0 when no window fits.
inline WindowAxis window_axis(Index in, Index kernel, Index stride, Padding padding) {
    WindowAxis a;
    if (in < 1) return a;
    if (padding == Padding::Valid) {
        a.out = in < kernel ? 0 : (in - kernel) / stride + 1;
        return a;
    }
    a.out = (in + stride - 1) / stride;
    const Index total = (a.out - 1) * stride + kernel - in;
    a.pad_before = total > 0 ? total / 2 : 0;
    return a;
}

/// Throws unless the kernel and stride are positive.
inline void check_window(const char* layer, Size2d kernel, Size2d stride) {
    if (kernel.h < 1 || kernel.w < 1 || stride.h < 1 || stride.w < 1)
        throw ShapeError(std::string("polytag::") + layer + ": kernel " + kernel.str() + " and stride " +
                         stride.str() + " must be positive");
}

}  // namespace detail
}  // namespace polytag
