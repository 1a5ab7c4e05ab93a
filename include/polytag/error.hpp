#pragma once
// Typed exceptions. Every error polytag throws derives from polytag::Error, so a
// caller can catch one type; the subtypes say which subsystem refused.
#include <stdexcept>
#include <string>

namespace polytag {

/// Base of every exception polytag throws.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Incompatible tensor or layer shapes (a programming error in the caller).
class ShapeError : public Error {
public:
    using Error::Error;
};

/// Invalid argument or configuration value.
class ValueError : public Error {
public:
    using Error::Error;
};

/// Reading or writing a file failed; the message names the file and the field.
class IoError : public Error {
public:
    using Error::Error;
};

}  // namespace polytag
