// crmkit/error.hpp — the one exception type of the C++ API.
//
// Every public C++ function that can fail throws crmkit::Error with a code (which the C API maps
// one-to-one onto its status values) and a message that names what was wrong (the field, line or
// id). A function that throws leaves the objects it was given unchanged.
#pragma once

#include <stdexcept>
#include <string>

namespace crmkit {

/// Error categories. The numeric values are the C API's status codes (crmkit.h).
enum class Errc : int {
  ok = 0,
  invalid_argument = 1,  ///< a value is out of range, NaN, negative, empty where it must not be
  parse = 2,             ///< malformed JSON, CSV, timestamp or date
  not_found = 3,         ///< unknown id, zone, case, file
  invalid_state = 4,     ///< the operation is not allowed in the current state (e.g. a transition)
  permission = 5,        ///< the role may not do this (workflow roles, compensation limits)
  conflict = 6,          ///< a duplicate or contradicting definition
  io = 7,                ///< file or database I/O failed
  locked = 8,            ///< another engine holds the store
  version = 9,           ///< data from a newer or unknown format version
  limit = 10,            ///< input past a documented maximum size
  corrupt = 11,          ///< checksum mismatch, truncated data
  no_convergence = 12,   ///< a numerical fit did not converge
  internal = 13,         ///< a bug in crmkit; please report it
  out_of_memory = 14,
};

/// Short stable name of a code ("invalid_argument", ...).
const char* errc_name(Errc code) noexcept;

class Error : public std::runtime_error {
 public:
  Error(Errc code, const std::string& message) : std::runtime_error(message), code_(code) {}
  Errc code() const noexcept { return code_; }

 private:
  Errc code_;
};

}  // namespace crmkit
