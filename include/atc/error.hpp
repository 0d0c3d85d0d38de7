// Exceptions thrown by the atc API. Per-symbol input problems in a batch are not
// thrown: they come back as SymbolStatus so the other symbols keep their results.
#pragma once

#include <stdexcept>
#include <string>

namespace atc {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An invalid parameter (docs/SEMANTICS.md §1); nothing is computed.
class ConfigError : public Error {
 public:
  using Error::Error;
};

// A single-symbol compute() whose series cannot be computed (bad bar, too short...).
class InputError : public Error {
 public:
  using Error::Error;
};

// A backend that was asked for explicitly but cannot run here (e.g. cuda without a GPU).
class BackendUnavailable : public Error {
 public:
  using Error::Error;
};

// ComputeOptions::stop was requested before the computation finished; its results are
// incomplete and not returned.
class Cancelled : public Error {
 public:
  using Error::Error;
};

}  // namespace atc
