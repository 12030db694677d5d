#pragma once
/// Why a command failed. The kind decides the exit code, in one table (`exit_code_for` in
/// main.cpp); the name is the errc wire name, or "usage" for a bad command line.

#include <string>
#include <utility>
#include <variant>

#include "jwtfort/error.hpp"

namespace jwtfort::cli {

enum class failure_kind {
  usage,           ///< unknown option, missing argument, bad number: exit 2
  configuration,   ///< unreadable or weak key, bad --header or claims, bad options: exit 2
  token_rejected,  ///< the token given to verify/inspect is not acceptable: exit 1
  unavailable,     ///< the token store cannot be reached: exit 3, try again later
};

struct failure {
  failure_kind kind;
  std::string name;     ///< wire name printed after "error: "
  std::string message;  ///< never holds a token, a secret or key material

  static failure usage(std::string msg) { return {failure_kind::usage, "usage", std::move(msg)}; }
  static failure configuration(const jwtfort::error& e) {
    return from(failure_kind::configuration, e);
  }
  static failure rejected(const jwtfort::error& e) { return from(failure_kind::token_rejected, e); }
  /// The kind the code's group calls for: a token problem (1xx-4xx) is a rejection, an
  /// unavailable store (5xx) is temporary, anything else (6xx) is the configuration's fault.
  static failure of(const jwtfort::error& e) {
    switch (group_of(e.code)) {
      case error_group::malformed:
      case error_group::rejected:
      case error_group::time:
      case error_group::forbidden: return rejected(e);
      case error_group::unavailable: return from(failure_kind::unavailable, e);
      default: return configuration(e);
    }
  }

 private:
  static failure from(failure_kind how, const jwtfort::error& e) {
    return {how, std::string(to_string(e.code)), e.message};
  }
};

/// A value or a failure; the CLI's counterpart of `jwtfort::result`.
template <class T>
class [[nodiscard]] outcome {
 public:
  outcome(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  outcome(failure f) : state_(std::in_place_index<1>, std::move(f)) {}    // NOLINT: implicit

  explicit operator bool() const noexcept { return state_.index() == 0; }
  T& operator*() { return std::get<0>(state_); }
  T* operator->() { return &std::get<0>(state_); }
  const failure& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, failure> state_;
};

}  // namespace jwtfort::cli
