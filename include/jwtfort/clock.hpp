#pragma once
/// Injectable time. Every exp/nbf/iat decision reads a `clock`, so tests can fix "now".

#include <chrono>
#include <cstdint>
#include <functional>

namespace jwtfort {

/// Returns the current time as whole seconds since the Unix epoch (a JWT NumericDate).
using clock = std::function<std::int64_t()>;

/// The real wall clock.
inline std::int64_t system_now() noexcept {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// A clock that always answers `unix_seconds`.
///
/// Example: `options.clock = fixed_clock(1300819380);`
inline clock fixed_clock(std::int64_t unix_seconds) {
  return [unix_seconds] { return unix_seconds; };
}

}  // namespace jwtfort
