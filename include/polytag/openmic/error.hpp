#pragma once
// DatasetError: a release folder that does not hold what it should. It is an IoError (so a
// caller catching file problems catches it) that also carries where the problem is.
#include <string>

#include "polytag/error.hpp"
#include "polytag/tensor/shape.hpp"

namespace polytag::openmic {

class DatasetError : public IoError {
public:
    /// `file` is the file at fault ("<path>/openmic-2018.npz Y_true" for an array inside the
    /// archive, "<source> y_true" for Dataset::from_arrays). `row` is the 0-based array row, or
    /// the 1-based line of a text file; `column` the 0-based label column (class-map.json: the
    /// column index concerned). Both are -1 when the problem is not about one element. The
    /// message names all three where known.
    DatasetError(std::string file, Index row, Index column, const std::string& what)
        : IoError(compose(file, row, column, what)), file_(std::move(file)), row_(row), column_(column) {}

    const std::string& file() const { return file_; }
    Index row() const { return row_; }
    Index column() const { return column_; }

private:
    static std::string compose(const std::string& file, Index row, Index column, const std::string& what) {
        std::string s = "polytag::openmic: " + file;
        if (row >= 0) s += ", row " + std::to_string(row);
        if (column >= 0) s += ", column " + std::to_string(column);
        return s + ": " + what;
    }
    std::string file_;
    Index row_;
    Index column_;
};

}  // namespace polytag::openmic
