#pragma once
// Shape: the extents of a tensor of rank 0 to 4, with overflow-checked sizes.
#include <array>
#include <cstddef>
#include <initializer_list>
#include <limits>
#include <string>

#include "polytag/error.hpp"

namespace polytag {

using Index = std::ptrdiff_t;
constexpr int kMaxRank = 4;

class Shape {
public:
    Shape() = default;
    Shape(std::initializer_list<Index> dims) {
        if (dims.size() > static_cast<std::size_t>(kMaxRank))
            throw ShapeError("polytag::Shape: rank " + std::to_string(dims.size()) + " exceeds 4");
        for (Index d : dims) push_back(d);
    }

    int rank() const { return rank_; }
    Index operator[](int axis) const { return dims_[check_axis(axis)]; }
    Index& operator[](int axis) { return dims_[check_axis(axis)]; }

    /// Number of elements (1 for rank 0). Checked against overflow when built.
    Index size() const {
        Index n = 1;
        for (int i = 0; i < rank_; ++i) n *= dims_[i];
        return n;
    }
    /// Rows of the row-major matrix this shape flattens to: product of all axes but the last.
    Index rows() const {
        Index n = 1;
        for (int i = 0; i + 1 < rank_; ++i) n *= dims_[i];
        return n;
    }
    /// Columns of that matrix: the last axis (1 for rank 0).
    Index cols() const { return rank_ == 0 ? 1 : dims_[rank_ - 1]; }

    void push_back(Index d) {
        if (rank_ == kMaxRank) throw ShapeError("polytag::Shape: rank exceeds 4");
        if (d < 0) throw ShapeError("polytag::Shape: negative extent " + std::to_string(d));
        Index n = size();
        if (d != 0 && n > std::numeric_limits<Index>::max() / d)
            throw ShapeError("polytag::Shape: element count overflows");
        dims_[rank_++] = d;
    }
    /// The same shape with axis 0 replaced (e.g. a different batch size).
    Shape with_dim(int axis, Index d) const {
        Shape s;
        for (int i = 0; i < rank_; ++i) s.push_back(i == axis ? d : dims_[i]);
        return s;
    }
    /// The shape with a leading axis of extent d added.
    Shape prepend(Index d) const {
        Shape s;
        s.push_back(d);
        for (int i = 0; i < rank_; ++i) s.push_back(dims_[i]);
        return s;
    }
    /// The shape without its leading axis.
    Shape drop_front() const {
        Shape s;
        for (int i = 1; i < rank_; ++i) s.push_back(dims_[i]);
        return s;
    }

    friend bool operator==(const Shape& a, const Shape& b) {
        if (a.rank_ != b.rank_) return false;
        for (int i = 0; i < a.rank_; ++i)
            if (a.dims_[i] != b.dims_[i]) return false;
        return true;
    }
    friend bool operator!=(const Shape& a, const Shape& b) { return !(a == b); }

    /// numpy-style text: "(64, 10, 128)", "(5,)", "()".
    std::string str() const {
        std::string s = "(";
        for (int i = 0; i < rank_; ++i) {
            if (i) s += ", ";
            s += std::to_string(dims_[i]);
        }
        if (rank_ == 1) s += ",";
        return s + ")";
    }

private:
    int check_axis(int axis) const {
        if (axis < 0 || axis >= rank_)
            throw ShapeError("polytag::Shape: axis " + std::to_string(axis) + " out of range for rank " +
                             std::to_string(rank_));
        return axis;
    }
    std::array<Index, kMaxRank> dims_{};
    int rank_ = 0;
};

}  // namespace polytag
